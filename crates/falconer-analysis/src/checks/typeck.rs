//! Type checking of a (list-substituted, parsed) condition as libsinsp's
//! compiler does it (LANGUAGE.md B): field resolution, operator/type
//! compatibility, value parsing, transformers, right-hand fields, compiler
//! warnings, Falco's warning resolver (deprecated fields, unsafe `<NA>`) and
//! the inputs Falco would abort on.

use crate::cat::{self, Ext, Scope};
use crate::diagnostic::{Diagnostic, Loc};
use falconer_syntax::ast::*;
use falconer_text::Span;

/// What a condition check reports into.
pub struct Checker<'a> {
    pub scope: &'a Scope,
    /// Maps a span of the parsed text to a file location.
    pub map: &'a dyn Fn(Span) -> Loc,
    pub diags: Vec<Diagnostic>,
    /// `skip-if-unknown-filter: true`: unknown fields/event types become
    /// `unknown-filter` warnings.
    pub skip_unknown: bool,
    /// Set when an error was reported (or a skip happened).
    pub failed: bool,
    pub skipped: bool,
}

/// A deprecated field Falco warns about when used as a left-hand field.
fn is_deprecated(f: &FieldRef) -> bool {
    f.arg.is_none() && falconer_catalog::deprecated_field_warning(&f.name).is_some()
}

impl Checker<'_> {
    fn error(&mut self, code: &'static str, span: Span, msg: String) {
        self.failed = true;
        let d = Diagnostic::new(code, (self.map)(span), msg);
        self.diags.push(d);
    }

    fn warn(&mut self, code: &'static str, span: Span, msg: String) {
        let d = Diagnostic::new(code, (self.map)(span), msg);
        self.diags.push(d);
    }

    /// An unknown field or event type: an error, or with
    /// skip-if-unknown-filter a warning that skips the rule.
    fn unknown(&mut self, code: &'static str, span: Span, msg: String, suggestion: Option<String>) {
        let loc = (self.map)(span);
        let mut d = if self.skip_unknown {
            self.skipped = true;
            Diagnostic::new("unknown-filter", loc, msg)
        } else {
            self.failed = true;
            Diagnostic::new(code, loc, msg)
        };
        if let Some(s) = suggestion {
            d = d.with_suggestion(format!("did you mean '{s}'?"), loc.span, s);
        }
        self.diags.push(d);
    }

    /// Checks every comparison of `expr` (macros are not descended into:
    /// the caller checks each macro's own tree).
    pub fn check_expr(&mut self, expr: &Expr) {
        match expr {
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                for c in children {
                    self.check_expr(c);
                }
            }
            Expr::Not { child, .. } => self.check_expr(child),
            Expr::Macro(_) | Expr::Error { .. } => {}
            Expr::Unary { lhs, op, .. } => {
                let _ = self.lhs_type(lhs, op);
            }
            Expr::Binary { lhs, op, rhs, .. } => self.check_binary(lhs, op, rhs),
        }
    }

    /// The type of a left-hand side, with its field-level checks.
    fn lhs_type(&mut self, lhs: &Lhs, _op: &Operator) -> Option<Ext> {
        match lhs {
            Lhs::Field(f) => {
                let t = self.field(f)?;
                if is_deprecated(f) {
                    self.deprecated(f);
                }
                Some(t)
            }
            Lhs::Transformer(t) => {
                let mut fields = Vec::new();
                collect_transformer_fields(t, &mut fields);
                for f in fields {
                    if matches!(f.name.as_str(), "evt.type" | "syscall.type") {
                        self.error(
                            "falco-abort",
                            f.span,
                            format!("Falco aborts loading a rule that wraps '{}' in a transformer (event-type analysis cannot handle it)", f.name),
                        );
                    }
                    if is_deprecated(f) {
                        self.deprecated(f);
                    }
                }
                self.transformer_type(t)
            }
        }
    }

    fn deprecated(&mut self, f: &FieldRef) {
        let why = falconer_catalog::deprecated_field_warning(&f.name).unwrap_or("");
        self.warn(
            "deprecated-field",
            f.span,
            format!("field '{}' is deprecated: {why}", f.name),
        );
    }

    /// Resolves a field used in a condition.
    fn field(&mut self, f: &FieldRef) -> Option<Ext> {
        match cat::resolve(
            self.scope,
            &f.name,
            f.arg.as_ref().map(|a| a.value.as_str()),
        ) {
            Ok(r) => {
                if r.output_only {
                    self.warn(
                        "output-only-field",
                        f.span,
                        format!("'{}' is meant for outputs only; Falco accepts it in a condition but it may not behave as a filter", f.joined()),
                    );
                }
                Some(r.ext)
            }
            Err(cat::ResolveError::Unknown(msg)) => {
                let sugg = cat::suggest_field(self.scope, &f.name);
                self.unknown("unknown-field", f.name_span, msg, sugg);
                None
            }
            Err(cat::ResolveError::Invalid(msg)) => {
                self.error("invalid-field-argument", f.span, msg);
                None
            }
        }
    }

    fn transformer_type(&mut self, t: &Transformer) -> Option<Ext> {
        let mut args = Vec::new();
        for a in &t.args {
            args.push(self.targ_type(a)?);
        }
        match cat::transform_type(t.kind, &args, t.arg.as_ref().map(|a| a.value.as_str())) {
            Ok(ty) => Some(ty),
            Err(msg) if msg.contains("unknown multivalue transformer") => {
                self.error(
                    "falco-abort",
                    t.span,
                    format!("{msg} (Falco aborts loading on this)"),
                );
                None
            }
            Err(msg) => {
                self.error("invalid-transformer", t.span, msg);
                None
            }
        }
    }

    fn targ_type(&mut self, a: &TransformerArg) -> Option<Ext> {
        match a {
            TransformerArg::Field(f) => self.field(f),
            TransformerArg::Transformer(t) => self.transformer_type(t),
            TransformerArg::Str(_) | TransformerArg::Number(_) => Some(Ext::literal()),
            TransformerArg::List { items, .. } => {
                for i in items {
                    self.targ_type(i)?;
                }
                Some(Ext::list())
            }
        }
    }

    fn check_binary(&mut self, lhs: &Lhs, op: &Operator, rhs: &Rhs) {
        let lhs_field = match lhs {
            Lhs::Field(f) => Some(f),
            Lhs::Transformer(_) => None,
        };
        // Falco's warning resolver: unsafe <NA> comparisons.
        if let Some(f) = lhs_field {
            let na_op = matches!(
                op.kind,
                OpKind::Eq
                    | OpKind::EqEq
                    | OpKind::Ne
                    | OpKind::In
                    | OpKind::Intersects
                    | OpKind::Pmatch
            ) && op.modifier.is_none();
            if na_op
                && (f.name.starts_with("ka.") || f.name.starts_with("jevt."))
                && rhs_has_literal(rhs, "<NA>")
            {
                self.warn(
                    "unsafe-na-check",
                    rhs.span(),
                    "Unsafe <NA> comparison in condition".to_string(),
                );
            }
        }
        let Some(lt) = self.lhs_type(lhs, op) else {
            self.check_rhs_fields_only(rhs);
            return;
        };
        let ty = lt.current;
        let modifier = op.modifier.map(|(m, _)| m);
        if let Err(msg) = cat::check_operator(ty, op.kind, modifier) {
            self.error(
                "operator-type-mismatch",
                op.span,
                format!("filter error: {msg}"),
            );
            return;
        }
        let field_name = lhs_field
            .filter(|_| matches!(lhs, Lhs::Field(_)))
            .map(|f| f.name.as_str())
            .unwrap_or("");
        match rhs {
            Rhs::Value(v) => self.value(lt, field_name, op, v),
            Rhs::List(l) => {
                for v in &l.items {
                    self.value(lt, field_name, op, v);
                }
            }
            Rhs::Ident(n) => {
                let v = Value {
                    text: n.text.clone(),
                    bytes: None,
                    quoted: None,
                    span: n.span,
                };
                self.value(lt, field_name, op, &v);
            }
            Rhs::Val { arg: Some(a), .. } => {
                self.error(
                    "invalid-transformer",
                    a.span,
                    "filter error: transformer 'val' does not support field arguments".to_string(),
                );
            }
            Rhs::Val { field, span, .. } => {
                if field_name == "evt.type" && evttype_op(op) {
                    self.error(
                        "falco-abort",
                        *span,
                        "Falco aborts loading a rule that compares 'evt.type' with a field"
                            .to_string(),
                    );
                    return;
                }
                if let Some(rt) = self.field(field) {
                    self.rhs_field(lt, op, rt, *span);
                }
            }
            Rhs::Transformer(t) => {
                if field_name == "evt.type" && evttype_op(op) {
                    self.error(
                        "falco-abort",
                        t.span,
                        "Falco aborts loading a rule that compares 'evt.type' with a field"
                            .to_string(),
                    );
                    return;
                }
                if let Some(rt) = self.transformer_type(t) {
                    self.rhs_field(lt, op, rt, t.span);
                }
            }
        }
    }

    fn check_rhs_fields_only(&mut self, rhs: &Rhs) {
        match rhs {
            Rhs::Val { field, .. } => {
                let _ = self.field(field);
            }
            Rhs::Transformer(t) => {
                let _ = self.transformer_type(t);
            }
            _ => {}
        }
    }

    fn rhs_field(&mut self, lt: Ext, op: &Operator, rt: Ext, span: Span) {
        if let Err(msg) = cat::check_rhs_field(op.kind, &lt, &rt) {
            self.error("invalid-rhs-field", span, format!("filter error: {msg}"));
        }
    }

    /// A constant right-hand value: parse per type, event type names,
    /// regex, and the compiler's look-alike warnings.
    fn value(&mut self, lt: Ext, field: &str, op: &Operator, v: &Value) {
        if let Err(msg) = cat::parse_value(self.scope, field, lt.current.ty, op.kind, v.as_bytes())
        {
            if msg.starts_with("unknown event type") {
                self.unknown(
                    "invalid-value",
                    v.span,
                    format!("filter error: {msg}"),
                    cat::suggest_event_type(&v.text),
                );
            } else {
                let msg = if msg.starts_with("filter error") {
                    msg
                } else {
                    format!("filter error: {msg}")
                };
                self.error("invalid-value", v.span, msg);
            }
            return;
        }
        if op.kind == OpKind::Regex {
            if let Some(esc) = posix_rejected_escape(&v.text) {
                self.error(
                    "invalid-value",
                    v.span,
                    format!("filter error: invalid regex pattern: invalid escape sequence: {esc}"),
                );
                return;
            }
            if let Err(e) = regex::Regex::new(&v.text) {
                let first = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                self.error(
                    "invalid-value",
                    v.span,
                    format!("filter error: invalid regex pattern: {first}"),
                );
                return;
            }
        }
        // Fields contain a '.', transformers a '(': most values have neither.
        let maybe_field = v.text.contains('.') || v.text.contains('(');
        let compact: String = if maybe_field {
            v.text.chars().filter(|c| !c.is_whitespace()).collect()
        } else {
            String::new()
        };
        if maybe_field && cat::is_field_name(self.scope, &compact) {
            self.warn(
                "field-as-value",
                v.span,
                format!(
                    "'{}' may be a valid field misused as a const string value",
                    v.text
                ),
            );
        } else if maybe_field && looks_like_transformer(&compact) {
            self.warn(
                "transformer-as-value",
                v.span,
                format!(
                    "'{}' may be a valid field transformer misused as a const string value",
                    v.text
                ),
            );
        }
        if op.kind == OpKind::Regex && regex_is_simple(&v.text) {
            self.warn(
                "simplifiable-regex",
                v.span,
                format!(
                    "regex check with '{}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'",
                    v.text
                ),
            );
        }
    }
}

/// Operators Falco's event-type analysis evaluates (and so throws on when
/// the right side is a field).
fn evttype_op(op: &Operator) -> bool {
    op.modifier.is_none() && matches!(op.kind, OpKind::Eq | OpKind::EqEq | OpKind::Ne | OpKind::In)
}

fn collect_transformer_fields<'a>(t: &'a Transformer, out: &mut Vec<&'a FieldRef>) {
    fn arg<'a>(a: &'a TransformerArg, out: &mut Vec<&'a FieldRef>) {
        match a {
            TransformerArg::Field(f) => out.push(f),
            TransformerArg::Transformer(t) => collect_transformer_fields(t, out),
            TransformerArg::List { items, .. } => items.iter().for_each(|i| arg(i, out)),
            _ => {}
        }
    }
    t.args.iter().for_each(|a| arg(a, out));
}

fn rhs_has_literal(rhs: &Rhs, lit: &str) -> bool {
    match rhs {
        Rhs::Value(v) => v.text == lit,
        Rhs::List(l) => l.items.iter().any(|v| v.text == lit),
        Rhs::Ident(n) => n.text == lit,
        _ => false,
    }
}

/// RE2 in POSIX mode (what libsinsp compiles `regex` values with) has no
/// Perl classes (`\d \s \w` and their negations) and no word boundaries
/// (`\b \B`): the first such escape, if any.
fn posix_rejected_escape(re: &str) -> Option<String> {
    let b = re.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\\' {
            if matches!(
                b[i + 1],
                b'd' | b'D' | b's' | b'S' | b'w' | b'W' | b'b' | b'B'
            ) {
                return Some(format!("\\{}", b[i + 1] as char));
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

/// B.7 (2): starts with a transformer name (or `val`) + `(` and ends with `)`.
fn looks_like_transformer(s: &str) -> bool {
    if !s.ends_with(')') {
        return false;
    }
    TransformerKind::ALL
        .iter()
        .map(|t| t.as_str())
        .chain(["val"])
        .any(|n| s.starts_with(n) && s[n.len()..].starts_with('('))
}

/// B.7 (3): a regex with no special characters once a leading `^`,
/// trailing `$` and leading/trailing `.*`, `.+`, `.?` are ignored.
pub fn regex_is_simple(re: &str) -> bool {
    let b = re.as_bytes();
    let mut start = 0;
    let mut end = b.len();
    if start < end && b[start] == b'^' {
        start += 1;
    }
    if end > start && b[end - 1] == b'$' {
        end -= 1;
    }
    if end - start >= 2 && b[start] == b'.' && matches!(b[start + 1], b'*' | b'+' | b'?') {
        start += 2;
    }
    if end >= start + 2 && b[end - 2] == b'.' && matches!(b[end - 1], b'*' | b'+' | b'?') {
        end -= 2;
    }
    !b[start..end.max(start)]
        .iter()
        .any(|c| b".+*?^$()[]{}|\\".contains(c))
}

/// Whether a transformer expression compiles for `scope` (exception
/// fields written as expressions).
pub fn transformer_compiles(scope: &Scope, t: &Transformer) -> bool {
    let map = |_s: Span| Loc::default();
    let mut c = Checker {
        scope,
        map: &map,
        diags: Vec::new(),
        skip_unknown: false,
        failed: false,
        skipped: false,
    };
    c.transformer_type(t).is_some() && !c.failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_regexes() {
        assert!(regex_is_simple("bash"));
        assert!(regex_is_simple("^bash$"));
        assert!(regex_is_simple(".*bash.*"));
        assert!(!regex_is_simple("ba.h"));
        assert!(!regex_is_simple("(a|b)"));
    }

    #[test]
    fn transformer_lookalikes() {
        assert!(looks_like_transformer("tolower(proc.name)"));
        assert!(looks_like_transformer("val(proc.name)"));
        assert!(!looks_like_transformer("tolower"));
    }
}

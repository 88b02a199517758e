//! Rule outputs (LANGUAGE.md C.12 steps 2–4, C.13): `%container.info`,
//! deprecated fields, and the format's validity for the rule's source.

use crate::cat::{self, Scope};
use crate::diagnostic::{Diagnostic, Loc};
use falconer_syntax::ast::{Lhs, TransformerArg};
use falconer_syntax::output::{parse_output, OutputFormat};
use falconer_text::Span;

/// Whether an output token compiles for `scope`.
pub fn token_compiles(scope: &Scope, lhs: &Lhs) -> bool {
    fn arg_ok(scope: &Scope, a: &TransformerArg) -> bool {
        match a {
            TransformerArg::Field(f) => {
                cat::resolve(scope, &f.name, f.arg.as_ref().map(|a| a.value.as_str())).is_ok()
            }
            TransformerArg::Transformer(t) => t.args.iter().all(|a| arg_ok(scope, a)),
            TransformerArg::List { items, .. } => items.iter().all(|a| arg_ok(scope, a)),
            _ => true,
        }
    }
    match lhs {
        Lhs::Field(f) => {
            cat::resolve(scope, &f.name, f.arg.as_ref().map(|a| a.value.as_str())).is_ok()
        }
        Lhs::Transformer(t) => {
            t.args.iter().all(|a| arg_ok(scope, a))
                && crate::checks::typeck::transformer_compiles(scope, t)
        }
    }
}

/// Result of checking an output.
pub struct OutputCheck {
    pub diags: Vec<Diagnostic>,
    /// An error (or an unknown-filter skip) happened.
    pub failed: bool,
    pub skipped: bool,
    pub format: Option<OutputFormat>,
}

/// Checks an output text; `map` places spans of `text` in the files.
pub fn check_output(
    text: &str,
    map: &dyn Fn(Span) -> Loc,
    scope: &Scope,
    skip_unknown: bool,
) -> OutputCheck {
    let mut diags = Vec::new();
    let mut text = text.to_string();
    // `%container.info` is deprecated and deleted before validation. We
    // keep offsets by blanking it instead of removing it.
    let mut from = 0;
    while let Some(i) = text[from..].find("%container.info") {
        let s = from + i;
        let e = s + "%container.info".len();
        diags.push(Diagnostic::new(
            "deprecated-item",
            map(Span::new(s as u32, e as u32)),
            "%container.info is deprecated and will be removed in the future; it is ignored here. Use explicit container fields instead.",
        ));
        text.replace_range(s..e, &" ".repeat(e - s));
        from = e;
    }
    for (dep, _) in &falconer_catalog::DEPRECATED_FIELD_WARNINGS {
        if let Some(i) = text.find(dep) {
            // Falco searches substrings, so `evt.latency.s` also finds
            // `evt.latency`; report each deprecated name once.
            diags.push(Diagnostic::new(
                "deprecated-field",
                map(Span::new(i as u32, (i + dep.len()) as u32)),
                format!("The field '{dep}' is deprecated"),
            ));
        }
    }
    let accepts = |lhs: &Lhs| token_compiles(scope, lhs);
    let fmt = parse_output(&text, &accepts);
    let mut failed = false;
    let mut skipped = false;
    if let Some(e) = fmt.errors.first() {
        let unknown = e.message.contains("unknown filter:")
            || e.message.contains("nonexistent field")
            || e.message.contains("invalid formatting token");
        let loc = map(e.span);
        if skip_unknown && unknown {
            skipped = true;
            diags.push(Diagnostic::new("unknown-filter", loc, e.message.clone()));
        } else {
            failed = true;
            let mut d = Diagnostic::new("invalid-output", loc, e.message.clone());
            if let Some((from, name)) = unknown_token_name(&text, e.span) {
                if let Some(s) = cat::suggest_field(scope, &name) {
                    let at = map(Span::new(from, from + name.len() as u32));
                    d = d.with_suggestion(format!("did you mean '{s}'?"), at.span, s);
                }
            }
            diags.push(d);
        }
    }
    OutputCheck {
        diags,
        failed,
        skipped,
        format: Some(fmt),
    }
}

/// The dotted name of the token at `span.start` (after its `%` and
/// width), with its offset, for suggestions.
fn unknown_token_name(text: &str, span: Span) -> Option<(u32, String)> {
    let start = span.start as usize;
    let rest = text.get(start..)?;
    let skip = usize::from(rest.starts_with('%'));
    let digits = rest[skip..].bytes().take_while(u8::is_ascii_digit).count();
    let from = start + skip + digits;
    let name: String = text[from..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    (name.contains('.')).then_some((from as u32, name))
}

//! Transformer typing (LANGUAGE.md A.10, B.5) and right-hand-side field
//! checks (B.6).
//!
//! libsinsp models every operand as a "filter check" with two type views:
//! the *declared* one (`get_field_info`) and the *current* one after
//! transformers (`get_transformed_field_info`). Operator checks, value
//! parsing, further unary transformers and right-hand-side comparisons use
//! the current view, but multi-value transformers (`join`, `concat`,
//! `getopt`) check their arguments' *declared* view. [`ExtractorType`]
//! carries both.

use crate::resolve::Resolved;
use crate::types::{ArgType, FieldInfo, FieldType};
use falconer_syntax::ast::{OpKind, TransformerKind};

/// What an operand is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtractorKind {
    /// A field.
    Field,
    /// A quoted string or number given as a transformer argument: a
    /// constant CHARBUF.
    Literal,
    /// A transformer list `( ... )`: a constant CHARBUF list.
    List,
    /// The result of `join`, `concat` or `getopt`.
    MultiValue,
}

/// The type information of an operand, as libsinsp tracks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtractorType {
    pub kind: ExtractorKind,
    /// The name libsinsp reports for the operand: the field name without
    /// argument, or `NA` for literals, lists and multi-value results.
    pub name: &'static str,
    /// The declared type (before this operand's own transformers).
    pub declared: ArgType,
    /// The type after the transformers applied so far.
    pub current: ArgType,
    /// The field refuses transformers (NO_TRANSFORMER).
    pub no_transformer: bool,
    /// The field refuses right-hand-side fields (NO_RHS).
    pub no_rhs: bool,
    /// A multi-value result that was created as a list (its current name
    /// is `INTERNAL`).
    internal_list: bool,
}

impl ExtractorType {
    /// A resolved field (its effective type: `evt.rawarg.X` has the
    /// parameter's type).
    pub fn field(r: &Resolved) -> ExtractorType {
        ExtractorType::of_field(r.field, r.arg_type())
    }

    /// A field with an explicit type.
    pub fn of_field(f: &'static FieldInfo, ty: ArgType) -> ExtractorType {
        ExtractorType {
            kind: ExtractorKind::Field,
            name: f.name,
            declared: ty,
            current: ty,
            no_transformer: f.no_transformer,
            no_rhs: f.no_rhs,
            internal_list: false,
        }
    }

    /// A quoted string or number argument.
    pub const fn literal() -> ExtractorType {
        ExtractorType::constant(ExtractorKind::Literal, false)
    }

    /// A transformer list argument `( ... )`.
    pub const fn list() -> ExtractorType {
        ExtractorType::constant(ExtractorKind::List, true)
    }

    const fn constant(kind: ExtractorKind, is_list: bool) -> ExtractorType {
        let t = ArgType::new(FieldType::Charbuf, is_list);
        ExtractorType {
            kind,
            name: "NA",
            declared: t,
            current: t,
            no_transformer: false,
            no_rhs: false,
            internal_list: false,
        }
    }

    /// The name libsinsp reports for the current (transformed) view: as
    /// [`ExtractorType::name`], except `INTERNAL` for list-valued
    /// multi-value results (used by B.6 messages).
    pub fn current_name(&self) -> &'static str {
        if self.internal_list {
            "INTERNAL"
        } else {
            self.name
        }
    }

    /// Applies a one-argument transformer (`tolower`, `toupper`, `b64`,
    /// `basename`, `len`) to this operand.
    fn apply_unary(mut self, kind: TransformerKind) -> Result<ExtractorType, String> {
        if self.no_transformer {
            return Err(format!(
                "field '{}' does not support transformers",
                self.name
            ));
        }
        let t = self.current;
        let out = match kind {
            TransformerKind::Tolower | TransformerKind::Toupper | TransformerKind::Basename => {
                t.ty.is_string().then_some(t)
            }
            TransformerKind::B64 => {
                matches!(t.ty, FieldType::Charbuf | FieldType::Bytebuf).then_some(t)
            }
            TransformerKind::Len => {
                if t.is_list || matches!(t.ty, FieldType::Bytebuf) || t.ty.is_string() {
                    Some(ArgType::scalar(FieldType::Uint64))
                } else {
                    None
                }
            }
            TransformerKind::Join | TransformerKind::Concat | TransformerKind::Getopt => {
                return Err(format!("unknown field transfomer '{}'", kind.as_str()));
            }
        };
        match out {
            Some(o) => {
                self.current = o;
                Ok(self)
            }
            None => Err(format!(
                "can't add field transformer: type '{}' is not supported by '{}' transformer \
                 applied on {}field '{}'",
                t.ty.message_name(),
                kind.as_str(),
                if t.is_list { "list " } else { "" },
                self.name
            )),
        }
    }
}

/// Types a transformer call `kind(args...)[arg]` (B.5), given its
/// already-typed arguments, in libsinsp's order of checks.
///
/// * One argument: the unary path. An `[arg]` fails with
///   `filter error: transformer '<kind>' does not support field arguments`;
///   `join`/`concat`/`getopt` fail with `unknown field transfomer '<kind>'`
///   (sic); a NO_TRANSFORMER field with `field '<f>' does not support
///   transformers`; an unsupported input type with
///   `can't add field transformer: type '<T>' is not supported by '<kind>'
///   transformer applied on [list ]field '<f>'`.
/// * Several arguments: `join`, `concat` and `getopt` check their
///   arguments' declared types (`join() requires exactly 2 arguments: ...`
///   and the other B.5 messages), then the `[arg]` (only `getopt` takes
///   one, a single character). The other transformers fail with
///   `unknown multivalue transformer`, which libsinsp raises as an
///   uncaught runtime error (D.4).
pub fn transform_type(
    kind: TransformerKind,
    args: &[ExtractorType],
    arg: Option<&str>,
) -> Result<ExtractorType, String> {
    if args.len() == 1 {
        if arg.is_some() {
            return Err(format!(
                "filter error: transformer '{}' does not support field arguments",
                kind.as_str()
            ));
        }
        return args[0].apply_unary(kind);
    }
    let declared: Vec<ArgType> = args.iter().map(|a| a.declared).collect();
    let mut result = ArgType::scalar(FieldType::Charbuf);
    match kind {
        TransformerKind::Join => {
            if declared.len() != 2 {
                return Err("join() requires exactly 2 arguments: separator and list".into());
            }
            if declared[0].is_list {
                return Err(
                    "join() first argument (separator) must be a single value, not a list".into(),
                );
            }
            if !declared[1].is_list {
                return Err("join() second argument must be a list".into());
            }
        }
        TransformerKind::Concat => {
            if declared.len() < 2 {
                return Err("concat() requires at least 2 arguments".into());
            }
            if declared
                .iter()
                .any(|t| t.ty != FieldType::Charbuf || t.is_list)
            {
                return Err("concat() arguments must be strings".into());
            }
        }
        TransformerKind::Getopt => {
            if declared.len() != 2 {
                return Err(
                    "getopt() requires exactly 2 arguments: args list and optstring".into(),
                );
            }
            if !declared[0].is_list {
                return Err("getopt() first argument must be a list".into());
            }
            if declared[1].is_list {
                return Err("getopt() second argument (optstring) must be a single value".into());
            }
            if declared[0].ty != FieldType::Charbuf || declared[1].ty != FieldType::Charbuf {
                return Err("getopt() arguments must be strings".into());
            }
            result = ArgType::list(FieldType::Charbuf);
        }
        _ => return Err("unknown multivalue transformer".into()),
    }
    if let Some(a) = arg {
        if kind != TransformerKind::Getopt {
            return Err(format!(
                "transformer '{}' does not support field arguments",
                kind.as_str()
            ));
        }
        if a.len() != 1 {
            return Err("getopt() field argument must be a single option character".into());
        }
        result = ArgType::scalar(FieldType::Charbuf);
    }
    Ok(ExtractorType {
        kind: ExtractorKind::MultiValue,
        name: "NA",
        // libsinsp's placeholder field info for multi-value results.
        declared: ArgType::scalar(FieldType::Charbuf),
        current: result,
        no_transformer: false,
        no_rhs: false,
        internal_list: result.is_list,
    })
}

/// Checks a right-hand-side field (`val(f)` or a transformer on the right)
/// against the left side (B.6), in libsinsp's order:
/// `operator 'PMATCH' doesn't support right-hand side fields` (also
/// `REGEX`), `field type 'IPNET' doesn't support right-hand side fields`,
/// `field '<l>' doesn't support right-hand side fields`,
/// `field '<r>' can't be used as a right-hand side field`, and
/// `field '<l>' has type '<T1>[ (list)]' while the right-hand side field
/// '<r>' has incompatible type '<T2>[ (list)]'`.
pub fn check_rhs_field(op: OpKind, lhs: &ExtractorType, rhs: &ExtractorType) -> Result<(), String> {
    match op {
        OpKind::Pmatch => {
            return Err("operator 'PMATCH' doesn't support right-hand side fields".into())
        }
        OpKind::Regex => {
            return Err("operator 'REGEX' doesn't support right-hand side fields".into())
        }
        _ => {}
    }
    if lhs.current.ty.is_ip_net() {
        return Err("field type 'IPNET' doesn't support right-hand side fields".into());
    }
    if lhs.no_rhs {
        return Err(format!(
            "field '{}' doesn't support right-hand side fields",
            lhs.current_name()
        ));
    }
    if rhs.no_rhs {
        return Err(format!(
            "field '{}' can't be used as a right-hand side field",
            rhs.current_name()
        ));
    }
    if lhs.current != rhs.current {
        return Err(format!(
            "field '{}' has type '{}' while the right-hand side field '{}' has incompatible type '{}'",
            lhs.current_name(),
            lhs.current,
            rhs.current_name(),
            rhs.current
        ));
    }
    Ok(())
}

//! Operator/type compatibility (LANGUAGE.md B.2) and operator listings.

use crate::types::FieldType;
use falconer_syntax::ast::{Modifier, OpKind};

fn numeric_ok(op: OpKind) -> bool {
    use OpKind::*;
    matches!(
        op,
        Eq | EqEq | Ne | Lt | Le | Gt | Ge | In | Intersects | Exists
    )
}

fn bool_ok(op: OpKind) -> bool {
    use OpKind::*;
    matches!(op, Eq | EqEq | Ne | In | Intersects | Exists)
}

fn string_ok(op: OpKind) -> bool {
    use OpKind::*;
    !matches!(op, Bcontains | Bstartswith)
}

fn buffer_ok(op: OpKind) -> bool {
    use OpKind::*;
    matches!(
        op,
        Eq | EqEq
            | Ne
            | Contains
            | In
            | Exists
            | Startswith
            | Endswith
            | Intersects
            | Bcontains
            | Bstartswith
    )
}

fn ip_ok(op: OpKind) -> bool {
    use OpKind::*;
    matches!(op, Eq | EqEq | Ne | In | Exists | Intersects)
}

fn list_ok(op: OpKind) -> bool {
    use OpKind::*;
    matches!(op, In | Exists | Intersects)
}

/// Whether operator `op` (with an optional string modifier) can compare a
/// field of type `ty` (after transformers; `is_list` for list-valued
/// fields). Implements B.2 (libsinsp `flt_is_comparable`).
///
/// The error is libsinsp's text, e.g.
/// `'contains' operator not supported for numeric filters`, with the
/// canonical operator text (`=` for `==`, no modifier). libsinsp reports it
/// prefixed with `filter error: `.
pub fn check_operator(
    ty: FieldType,
    is_list: bool,
    op: OpKind,
    modifier: Option<Modifier>,
) -> Result<(), String> {
    if op == OpKind::Exists {
        return Ok(());
    }
    let name = op.canonical();
    if is_list {
        return match ty {
            FieldType::Charbuf
            | FieldType::Uint64
            | FieldType::Reltime
            | FieldType::Abstime
            | FieldType::Bool
            | FieldType::Ipaddr
            | FieldType::Ipnet => {
                if list_ok(op) {
                    Ok(())
                } else {
                    Err(format!("'{name}' operator not supported list filters"))
                }
            }
            _ => Err(format!(
                "list filters are not supported for type '{}'",
                ty.message_name()
            )),
        };
    }
    let (ok, what) = if ty.is_numeric() {
        (numeric_ok(op), "numeric filters")
    } else if ty == FieldType::Bool {
        (bool_ok(op), "numeric filters")
    } else if ty.is_ip() {
        if modifier.is_some() && !ip_ok(op) {
            return Err(format!(
                "'{name}' with modifier not supported for ip address and network filters"
            ));
        }
        (ip_ok(op), "ip address and network filters")
    } else if ty.is_string() {
        (string_ok(op), "string filters")
    } else if ty == FieldType::Bytebuf {
        (buffer_ok(op), "buffer filters")
    } else {
        return Err(format!(
            "'{name}' operator not supported for type '{}'",
            ty.message_name()
        ));
    };
    if ok {
        Ok(())
    } else {
        Err(format!("'{name}' operator not supported for {what}"))
    }
}

/// The operators [`check_operator`] accepts for a type (without modifier),
/// in [`OpKind::ALL`] order; `==` is listed next to `=`.
pub fn operators_for(ty: FieldType, is_list: bool) -> Vec<OpKind> {
    OpKind::ALL
        .into_iter()
        .filter(|op| check_operator(ty, is_list, *op, None).is_ok())
        .collect()
}

/// An operator, for completion and hover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatorInfo {
    pub op: OpKind,
    /// Takes no right-hand side (`exists`).
    pub unary: bool,
    /// Takes a list (literal, list name, or field).
    pub list: bool,
    /// Accepts `oneof`/`anyof`/`allof`.
    pub modifiers: bool,
    pub description: &'static str,
}

/// The string modifiers, in completion order.
pub const STRING_OPERATOR_MODIFIERS: [Modifier; 3] =
    [Modifier::Oneof, Modifier::Anyof, Modifier::Allof];

const fn info(
    op: OpKind,
    unary: bool,
    list: bool,
    modifiers: bool,
    d: &'static str,
) -> OperatorInfo {
    OperatorInfo {
        op,
        unary,
        list,
        modifiers,
        description: d,
    }
}

/// Every operator of the language (A.5), with a short description.
pub const OPERATORS: [OperatorInfo; 20] = [
    info(OpKind::Eq, false, false, true, "Equal to the value."),
    info(
        OpKind::EqEq,
        false,
        false,
        true,
        "Equal to the value (same as `=`).",
    ),
    info(
        OpKind::Ne,
        false,
        false,
        true,
        "Different from the value (false when the field has no value).",
    ),
    info(
        OpKind::Lt,
        false,
        false,
        false,
        "Less than the number (strings compare byte-wise).",
    ),
    info(
        OpKind::Le,
        false,
        false,
        false,
        "Less than or equal to the number.",
    ),
    info(OpKind::Gt, false, false, false, "Greater than the number."),
    info(
        OpKind::Ge,
        false,
        false,
        false,
        "Greater than or equal to the number.",
    ),
    info(
        OpKind::Contains,
        false,
        false,
        true,
        "Contains the substring (case-sensitive).",
    ),
    info(
        OpKind::Icontains,
        false,
        false,
        true,
        "Contains the substring, ignoring ASCII case.",
    ),
    info(
        OpKind::Bcontains,
        false,
        false,
        true,
        "The byte buffer contains the bytes given in hex.",
    ),
    info(
        OpKind::Startswith,
        false,
        false,
        true,
        "Starts with the prefix.",
    ),
    info(
        OpKind::Bstartswith,
        false,
        false,
        true,
        "The byte buffer starts with the bytes given in hex.",
    ),
    info(
        OpKind::Endswith,
        false,
        false,
        true,
        "Ends with the suffix.",
    ),
    info(
        OpKind::Glob,
        false,
        false,
        true,
        "Matches the shell wildcard pattern (`*` also matches `/`).",
    ),
    info(
        OpKind::Iglob,
        false,
        false,
        true,
        "Matches the wildcard pattern, ignoring case.",
    ),
    info(
        OpKind::Regex,
        false,
        false,
        true,
        "Matches the RE2 regular expression over the whole value.",
    ),
    info(
        OpKind::In,
        false,
        true,
        false,
        "Equal to one of the values (every element, for list fields).",
    ),
    info(
        OpKind::Intersects,
        false,
        true,
        false,
        "At least one extracted element is among the values.",
    ),
    info(
        OpKind::Pmatch,
        false,
        true,
        false,
        "The path is one of the listed paths or below one of them.",
    ),
    info(
        OpKind::Exists,
        true,
        false,
        false,
        "The field has a value for this event.",
    ),
];

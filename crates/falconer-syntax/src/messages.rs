//! libsinsp's parser error messages, verbatim (LANGUAGE.md A.12).

/// The operator list as libsinsp prints it.
pub const OPERATORS: &str = "'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', \
'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', \
'intersects', 'in', 'pmatch'";

/// The transformer list (with `val`) as libsinsp prints it.
pub const TRANSFORMERS: &str =
    "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'";

pub const EMPTY: &str = "filter input string is empty";
pub const BLANK_AFTER_AND: &str = "expected blank or '(' after 'and'";
pub const BLANK_AFTER_OR: &str = "expected blank or '(' after 'or'";
pub const RPAREN: &str = "expected a ')' token";
pub const CHECK: &str = "expected a '(' token, a field check, or an identifier";
pub const FIELD_ARG: &str = "expected a valid field argument: a quoted string or a bare string";
pub const RBRACKET: &str = "expected a ']' token";
pub const VAL_FIELD: &str = "expected a field within 'val' transformer";
pub const TRANSFORMER_CLOSE: &str = "expected a ')' token closing the transformer";
pub const TRANSFORMER_ARG: &str = "expected field transformer argument: field, transformer, \
quoted string, number, or transformer list";
pub const TRANSFORMER_LIST_ARG: &str =
    "expected transformer list argument: field, transformer, quoted string, or number";
pub const TRANSFORMER_LIST_CLOSE: &str = "expected ')'";
pub const STRING_VALUE: &str = "expected a string value";
pub const LIST_OR_IDENT: &str = "expected a list or an identifier";
pub const UNBALANCED: &str = "parser fatal error: recursion is unbalanced";

pub fn operator() -> String {
    format!("expected a valid check operator: one of {OPERATORS}")
}

pub fn number_operand() -> String {
    format!("expected a number value or a field with a valid transformer: {TRANSFORMERS}")
}

pub fn string_operand() -> String {
    format!("expected a string value or a field with a valid transformer: {TRANSFORMERS}")
}

pub fn list_operand() -> String {
    format!("expected a list, an identifier, or a field with a valid transformer: {TRANSFORMERS}")
}

pub fn depth(max: u32) -> String {
    format!("exceeded max depth limit of {max}")
}

pub fn unexpected_after(last: &str) -> String {
    format!("unexpected token after '{last}', expecting 'or', 'and'")
}

/// What libsinsp's output-format entry point throws when neither a field
/// nor a transformer starts the token (note: no closing quote).
pub fn output_unexpected(last: &str) -> String {
    format!("unexpected token after '{last}")
}

//! The condition AST, mirroring libsinsp's node kinds (LANGUAGE.md A.13) but
//! with a span on every node and value, and an `Error` node for recovery.
//!
//! All spans are byte ranges into the condition text that was parsed.

use falconer_text::Span;

/// A parsed boolean expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `a and b and c`: one n-ary node per chain (≥ 2 children).
    And { children: Vec<Expr>, span: Span },
    /// `a or b or c`: one n-ary node per chain (≥ 2 children).
    Or { children: Vec<Expr>, span: Span },
    /// An odd number of `not` prefixes (an even number cancels out and
    /// leaves no node). `span` starts at the first `not`.
    Not { child: Box<Expr>, span: Span },
    /// A bare identifier in operand position: a macro reference.
    Macro(Name),
    /// `lhs exists`.
    Unary { lhs: Lhs, op: Operator, span: Span },
    /// `lhs op rhs`.
    Binary {
        lhs: Lhs,
        op: Operator,
        rhs: Rhs,
        span: Span,
    },
    /// A part that failed to parse (the error is in the parse result).
    Error { span: Span },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::And { span, .. }
            | Expr::Or { span, .. }
            | Expr::Not { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Error { span } => *span,
            Expr::Macro(n) => n.span,
        }
    }
}

/// An identifier with its span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// The left side of a check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lhs {
    Field(FieldRef),
    Transformer(Transformer),
}

impl Lhs {
    pub fn span(&self) -> Span {
        match self {
            Lhs::Field(f) => f.span,
            Lhs::Transformer(t) => t.span,
        }
    }
}

/// `proc.name`, `proc.aname[2]`, `proc.env["HOME"]`, `evt.arg.flags`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// The dotted name as written (without the argument).
    pub name: String,
    pub name_span: Span,
    pub arg: Option<FieldArg>,
    /// Name plus argument.
    pub span: Span,
}

impl FieldRef {
    /// `name[arg]` as libsinsp re-joins it for resolution (quotes dropped).
    pub fn joined(&self) -> String {
        match &self.arg {
            Some(a) => format!("{}[{}]", self.name, a.value),
            None => self.name.clone(),
        }
    }
}

/// The `[...]` after a field or transformer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldArg {
    /// The argument after unquoting and escape processing.
    pub value: String,
    /// Whether it was written as a quoted string.
    pub quoted: bool,
    /// From `[` to `]` inclusive.
    pub span: Span,
}

/// The transformers of LANGUAGE.md A.10 (`val` is [`Rhs::Val`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransformerKind {
    Tolower,
    Toupper,
    B64,
    Basename,
    Len,
    Join,
    Concat,
    Getopt,
}

impl TransformerKind {
    pub const ALL: [TransformerKind; 8] = [
        TransformerKind::Tolower,
        TransformerKind::Toupper,
        TransformerKind::B64,
        TransformerKind::Basename,
        TransformerKind::Len,
        TransformerKind::Join,
        TransformerKind::Concat,
        TransformerKind::Getopt,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TransformerKind::Tolower => "tolower",
            TransformerKind::Toupper => "toupper",
            TransformerKind::B64 => "b64",
            TransformerKind::Basename => "basename",
            TransformerKind::Len => "len",
            TransformerKind::Join => "join",
            TransformerKind::Concat => "concat",
            TransformerKind::Getopt => "getopt",
        }
    }
    pub fn from_name(s: &str) -> Option<TransformerKind> {
        TransformerKind::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// `tolower(proc.name)`, `join(",", proc.args)`, `getopt(proc.args, "c:")[c]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Transformer {
    pub kind: TransformerKind,
    pub name_span: Span,
    pub args: Vec<TransformerArg>,
    /// An optional `[arg]` after the closing parenthesis.
    pub arg: Option<FieldArg>,
    /// From the name to `)` (or to `]` when `arg` is present).
    pub span: Span,
}

/// One argument of a transformer call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TransformerArg {
    Field(FieldRef),
    Transformer(Transformer),
    /// A quoted string (unescaped).
    Str(Value),
    /// A number or hex number, as text.
    Number(Value),
    /// `( elem, elem, ... )`.
    List {
        items: Vec<TransformerArg>,
        span: Span,
    },
}

/// A comparison operator, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    Exists,
    Eq,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Icontains,
    Bcontains,
    Startswith,
    Bstartswith,
    Endswith,
    Glob,
    Iglob,
    Pmatch,
    In,
    Intersects,
    Regex,
}

impl OpKind {
    pub const ALL: [OpKind; 20] = [
        OpKind::Exists,
        OpKind::Le,
        OpKind::Lt,
        OpKind::Ge,
        OpKind::Gt,
        OpKind::EqEq,
        OpKind::Eq,
        OpKind::Ne,
        OpKind::Glob,
        OpKind::Iglob,
        OpKind::Contains,
        OpKind::Icontains,
        OpKind::Bcontains,
        OpKind::Startswith,
        OpKind::Bstartswith,
        OpKind::Endswith,
        OpKind::Regex,
        OpKind::Intersects,
        OpKind::In,
        OpKind::Pmatch,
    ];
    /// The text as written (`==` stays `==`).
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Exists => "exists",
            OpKind::Eq => "=",
            OpKind::EqEq => "==",
            OpKind::Ne => "!=",
            OpKind::Lt => "<",
            OpKind::Le => "<=",
            OpKind::Gt => ">",
            OpKind::Ge => ">=",
            OpKind::Contains => "contains",
            OpKind::Icontains => "icontains",
            OpKind::Bcontains => "bcontains",
            OpKind::Startswith => "startswith",
            OpKind::Bstartswith => "bstartswith",
            OpKind::Endswith => "endswith",
            OpKind::Glob => "glob",
            OpKind::Iglob => "iglob",
            OpKind::Pmatch => "pmatch",
            OpKind::In => "in",
            OpKind::Intersects => "intersects",
            OpKind::Regex => "regex",
        }
    }
    /// The canonical text used in libsinsp messages (`=` for `==`).
    pub fn canonical(self) -> &'static str {
        match self {
            OpKind::EqEq => "=",
            o => o.as_str(),
        }
    }
    pub fn from_text(s: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|o| o.as_str() == s)
    }
    pub fn is_relational(self) -> bool {
        matches!(self, OpKind::Lt | OpKind::Le | OpKind::Gt | OpKind::Ge)
    }
    pub fn is_list_op(self) -> bool {
        matches!(self, OpKind::In | OpKind::Intersects | OpKind::Pmatch)
    }
    /// `=`, `==`, `!=` and the word operators: the ones that take modifiers.
    pub fn is_string_op(self) -> bool {
        !self.is_relational() && !self.is_list_op() && self != OpKind::Exists
    }
}

/// `oneof`, `anyof`, `allof`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Modifier {
    Oneof,
    Anyof,
    Allof,
}

impl Modifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::Oneof => "oneof",
            Modifier::Anyof => "anyof",
            Modifier::Allof => "allof",
        }
    }
    pub fn from_text(s: &str) -> Option<Modifier> {
        match s {
            "oneof" => Some(Modifier::Oneof),
            "anyof" => Some(Modifier::Anyof),
            "allof" => Some(Modifier::Allof),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    pub kind: OpKind,
    pub span: Span,
    pub modifier: Option<(Modifier, Span)>,
}

impl Operator {
    /// The AST operator string as libsinsp stores it (`== oneof`).
    pub fn text(&self) -> String {
        match self.modifier {
            Some((m, _)) => format!("{} {}", self.kind.as_str(), m.as_str()),
            None => self.kind.as_str().to_string(),
        }
    }
}

/// The right side of a check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rhs {
    /// A bare or quoted string, or a number token (text only).
    Value(Value),
    /// `( a, 'b', c )`.
    List(ListLit),
    /// An identifier after `in`/`intersects`/`pmatch` or after a modifier:
    /// kept as a plain value by libsinsp (normally a list name substituted
    /// textually before parsing).
    Ident(Name),
    /// `val(field)`.
    Val {
        field: FieldRef,
        /// An `[arg]` after `val(...)`: it parses, but the compiler
        /// rejects it.
        arg: Option<FieldArg>,
        span: Span,
    },
    /// A transformer call on the right side.
    Transformer(Transformer),
}

impl Rhs {
    pub fn span(&self) -> Span {
        match self {
            Rhs::Value(v) => v.span,
            Rhs::List(l) => l.span,
            Rhs::Ident(n) => n.span,
            Rhs::Val { span, .. } => *span,
            Rhs::Transformer(t) => t.span,
        }
    }
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Value {
    /// After unquoting and escape processing (bytes that are not UTF-8,
    /// e.g. from `\xff`, are kept as U+FFFD in `text`, exactly in `bytes`).
    pub text: String,
    /// The exact bytes when they differ from `text` (invalid UTF-8 produced
    /// by `\xHH` escapes); `None` when `text` is exact.
    pub bytes: Option<Vec<u8>>,
    pub quoted: Option<char>,
    /// The source span, quotes included.
    pub span: Span,
}

impl Value {
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_deref().unwrap_or(self.text.as_bytes())
    }
}

/// A list literal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListLit {
    pub items: Vec<Value>,
    /// From `(` to `)`.
    pub span: Span,
}

/// One parse error with libsinsp's message and the position libsinsp would
/// report (its cursor when it gave up), plus a span for editors.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParseError {
    pub message: String,
    /// Byte offset libsinsp reports.
    pub offset: u32,
    /// The region to underline (at least `offset..offset`).
    pub span: Span,
}

/// The result of parsing a condition: a tree (possibly partial, with
/// [`Expr::Error`] nodes) and the errors. The first error is exactly the one
/// libsinsp would raise; later ones come from recovery.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParsedCondition {
    pub expr: Option<Expr>,
    pub errors: Vec<ParseError>,
}

impl ParsedCondition {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

//! Items of a rules file after decoding (LANGUAGE.md part C), with spans.

use falconer_text::Span;
use falconer_yaml::Scalar;
use std::sync::Arc;

/// An immutable shared string. Item texts are copied into the collected
/// lists, macros and rules at every edit; cloning a `Str` is a reference
/// count increment instead of an allocation and a copy.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Str(Arc<str>);

impl Str {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Str {
    fn default() -> Str {
        Str(Arc::from(""))
    }
}

impl std::ops::Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Str {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for Str {
    fn from(s: String) -> Str {
        Str(Arc::from(s))
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str(Arc::from(s))
    }
}

impl From<Str> for String {
    fn from(s: Str) -> String {
        s.0.to_string()
    }
}

impl std::fmt::Debug for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

/// A decoded string value with its location. For scalars, `scalar` maps
/// offsets inside `value` back to the file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Text {
    pub value: Str,
    /// The node's span in the file.
    pub span: Span,
    pub scalar: Option<Arc<Scalar>>,
    /// Where `value` starts inside the scalar's value (after trimming).
    pub offset: u32,
    /// Added to every file position the scalar maps to (the scalar was
    /// parsed from a slice of the file starting there).
    pub base: u32,
}

impl Text {
    pub fn new(value: impl Into<Str>, span: Span, scalar: Option<Arc<Scalar>>) -> Text {
        Text {
            value: value.into(),
            span,
            scalar,
            offset: 0,
            base: 0,
        }
    }
    /// Maps a byte range of `value` to a file span.
    pub fn map(&self, range: Span) -> Span {
        match &self.scalar {
            Some(s) => s.source_span(range.shift(self.offset)).shift(self.base),
            None => self.span,
        }
    }
}

/// A value with a span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// Falco priorities, highest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];
    /// Case-insensitive, with `info` as an alias of `informational`.
    pub fn parse(s: &str) -> Option<Priority> {
        let l = s.to_ascii_lowercase();
        Some(match l.as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }
    /// The spelling Falco prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
    /// The canonical upper-case spelling used in rules files.
    pub fn upper(self) -> &'static str {
        match self {
            Priority::Informational => "INFO",
            p => match p {
                Priority::Emergency => "EMERGENCY",
                Priority::Alert => "ALERT",
                Priority::Critical => "CRITICAL",
                Priority::Error => "ERROR",
                Priority::Warning => "WARNING",
                Priority::Notice => "NOTICE",
                _ => "DEBUG",
            },
        }
    }
}

/// How an item combines with an earlier one of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// A plain definition (replaces an existing item).
    Define,
    /// `append: true` or `override: {key: append}`.
    Append,
    /// `override: {key: replace}`.
    Replace,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListItem {
    pub name: Text,
    pub items: Vec<Text>,
    pub mode: Mode,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MacroItem {
    pub name: Text,
    pub condition: Text,
    pub mode: Mode,
}

/// The four forms of a rule item (C.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleForm {
    Full,
    /// Deprecated `append: true`.
    Append,
    Override,
    EnableOnly,
}

/// A scalar or a (nested) sequence inside an exception entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExValue {
    Scalar(Text),
    Seq(Vec<ExValue>, Span),
}

impl ExValue {
    pub fn span(&self) -> Span {
        match self {
            ExValue::Scalar(t) => t.span,
            ExValue::Seq(_, s) => *s,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Exception {
    pub name: Text,
    pub fields: Option<ExValue>,
    pub comps: Option<ExValue>,
    pub values: Option<Vec<ExValue>>,
    pub values_span: Option<Span>,
    pub span: Span,
}

/// Rule keys that `override` may name.
pub const RULE_APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
pub const RULE_REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "capture",
    "capture_duration",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleItem {
    pub name: Text,
    pub form: RuleForm,
    pub condition: Option<Text>,
    pub output: Option<Text>,
    pub desc: Option<Text>,
    pub priority: Option<Spanned<Priority>>,
    pub source: Option<Text>,
    pub enabled: Option<Spanned<bool>>,
    pub tags: Option<Vec<Text>>,
    pub exceptions: Option<Vec<Exception>>,
    pub warn_evttypes: Option<bool>,
    pub skip_if_unknown_filter: Option<bool>,
    pub capture: Option<bool>,
    pub capture_duration: Option<u32>,
    /// Keys under `override` with `append`, and with `replace`.
    pub append_keys: Vec<String>,
    pub replace_keys: Vec<String>,
}

impl RuleItem {
    pub fn appends(&self, key: &str) -> bool {
        self.form == RuleForm::Append && matches!(key, "condition" | "exceptions")
            || self.append_keys.iter().any(|k| k == key)
    }
    pub fn replaces(&self, key: &str) -> bool {
        self.replace_keys.iter().any(|k| k == key)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PluginReq {
    pub name: Text,
    pub version: Text,
    pub alternatives: Vec<(Text, Text)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemDef {
    EngineVersion(Spanned<(u32, u32, u32)>),
    PluginVersions(Vec<PluginReq>),
    List(ListItem),
    Macro(MacroItem),
    Rule(Box<RuleItem>),
}

/// One decoded top-level item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    pub def: ItemDef,
    /// The whole mapping.
    pub span: Span,
    /// The key that gives the item its kind (`rule`, `macro`...).
    pub key_span: Span,
    /// Read by YAML error recovery (Falco would not see it).
    pub recovered: bool,
}

impl Item {
    pub fn name(&self) -> Option<&Text> {
        match &self.def {
            ItemDef::List(l) => Some(&l.name),
            ItemDef::Macro(m) => Some(&m.name),
            ItemDef::Rule(r) => Some(&r.name),
            _ => None,
        }
    }
    pub fn kind_name(&self) -> &'static str {
        match &self.def {
            ItemDef::EngineVersion(_) => "required_engine_version",
            ItemDef::PluginVersions(_) => "required_plugin_versions",
            ItemDef::List(_) => "list",
            ItemDef::Macro(_) => "macro",
            ItemDef::Rule(_) => "rule",
        }
    }
}

/// Moves every file position of a value by `delta` bytes (items read from
/// a slice of the file are moved to where the slice is).
pub trait Shift {
    fn shift(&mut self, delta: u32);
}

impl Shift for Span {
    fn shift(&mut self, delta: u32) {
        *self = Span::shift(*self, delta);
    }
}

impl Shift for Text {
    fn shift(&mut self, delta: u32) {
        self.span.shift_by(delta);
        self.base += delta;
    }
}

trait ShiftBy {
    fn shift_by(&mut self, delta: u32);
}

impl ShiftBy for Span {
    fn shift_by(&mut self, delta: u32) {
        *self = Span::new(self.start + delta, self.end + delta);
    }
}

impl<T> Shift for Spanned<T> {
    fn shift(&mut self, delta: u32) {
        self.span.shift_by(delta);
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, delta: u32) {
        if let Some(x) = self {
            x.shift(delta);
        }
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, delta: u32) {
        for x in self {
            x.shift(delta);
        }
    }
}

impl Shift for ExValue {
    fn shift(&mut self, delta: u32) {
        match self {
            ExValue::Scalar(t) => t.shift(delta),
            ExValue::Seq(items, span) => {
                items.shift(delta);
                span.shift_by(delta);
            }
        }
    }
}

impl Shift for Exception {
    fn shift(&mut self, delta: u32) {
        self.name.shift(delta);
        self.fields.shift(delta);
        self.comps.shift(delta);
        self.values.shift(delta);
        if let Some(s) = &mut self.values_span {
            s.shift_by(delta);
        }
        self.span.shift_by(delta);
    }
}

impl Shift for PluginReq {
    fn shift(&mut self, delta: u32) {
        self.name.shift(delta);
        self.version.shift(delta);
        for (a, b) in &mut self.alternatives {
            a.shift(delta);
            b.shift(delta);
        }
    }
}

impl Shift for Item {
    fn shift(&mut self, delta: u32) {
        self.span.shift_by(delta);
        self.key_span.shift_by(delta);
        match &mut self.def {
            ItemDef::EngineVersion(v) => v.shift(delta),
            ItemDef::PluginVersions(p) => p.shift(delta),
            ItemDef::List(l) => {
                l.name.shift(delta);
                l.items.shift(delta);
            }
            ItemDef::Macro(m) => {
                m.name.shift(delta);
                m.condition.shift(delta);
            }
            ItemDef::Rule(r) => {
                let r = &mut **r;
                r.name.shift(delta);
                r.condition.shift(delta);
                r.output.shift(delta);
                r.desc.shift(delta);
                r.priority.shift(delta);
                r.source.shift(delta);
                r.enabled.shift(delta);
                r.tags.shift(delta);
                r.exceptions.shift(delta);
            }
        }
    }
}

#[cfg(test)]
mod str_tests {
    use super::Str;
    use std::collections::HashMap;

    #[test]
    fn a_str_reads_prints_and_hashes_as_the_string_it_holds() {
        let text = "proc.name = \"curl\"";
        let s = Str::from(text.to_string());
        assert_eq!(format!("{s:?}"), format!("{:?}", text.to_string()));
        assert_eq!(s.to_string(), text);
        let owned = text.to_string();
        assert!(s == text && s == *text && s == owned);
        assert_eq!(String::from(s.clone()), text);
        let mut by_name: HashMap<Str, u32> = HashMap::new();
        by_name.insert(s.clone(), 7);
        assert_eq!(by_name.get(text), Some(&7));
        assert!(Str::default().is_empty());
    }

    #[test]
    fn cloning_a_str_shares_its_text() {
        let a = Str::from("list_item");
        let b = a.clone();
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
    }
}

//! The registry of every diagnostic falconer reports: a stable code, the
//! Falco load code it corresponds to (if Falco reports it), the default
//! severity, and a one-line summary. Each code has a documentation page
//! `docs/diagnostics/<code>.md` (printed by `falconer explain CODE`).

/// Severity of a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

/// One entry of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// Stable id, kebab-case.
    pub code: &'static str,
    /// Falco's `LOAD_ERR_*` / `LOAD_*` name, or `None` for our own lints.
    pub falco_code: Option<&'static str>,
    pub severity: Severity,
    pub summary: &'static str,
}

macro_rules! codes {
    ($( $code:literal, $falco:expr, $sev:ident, $summary:literal; )*) => {
        /// Every diagnostic code, Falco's first, then our own lints.
        pub const CODES: &[CodeInfo] = &[
            $( CodeInfo { code: $code, falco_code: $falco, severity: Severity::$sev, summary: $summary }, )*
        ];
    };
}

codes! {
    // ---- Falco load errors ----
    "yaml-syntax", Some("LOAD_ERR_YAML_PARSE"), Error, "The file is not valid YAML.";
    "invalid-document", Some("LOAD_ERR_YAML_VALIDATE"), Error, "A document is not a sequence of mappings.";
    "missing-key", Some("LOAD_ERR_YAML_VALIDATE"), Error, "An item lacks a key it requires.";
    "empty-value", Some("LOAD_ERR_YAML_VALIDATE"), Error, "A key has a null or empty value where one is required.";
    "invalid-value-type", Some("LOAD_ERR_YAML_VALIDATE"), Error, "A key's value has the wrong YAML shape or type.";
    "invalid-priority", Some("LOAD_ERR_YAML_VALIDATE"), Error, "A rule's priority is not one Falco knows.";
    "invalid-engine-version", Some("LOAD_ERR_YAML_VALIDATE"), Error, "required_engine_version is not a version.";
    "invalid-exception-shape", Some("LOAD_ERR_YAML_VALIDATE"), Error, "An exceptions entry has the wrong YAML shape.";
    "invalid-override", Some("LOAD_ERR_YAML_VALIDATE"), Error, "An override map, or its use with other keys, is invalid.";
    "invalid-plugin-requirement", Some("LOAD_ERR_VALIDATE"), Error, "A required_plugin_versions entry is invalid.";
    "condition-syntax", Some("LOAD_ERR_COMPILE_CONDITION"), Error, "A condition does not parse.";
    "unknown-field", Some("LOAD_ERR_COMPILE_CONDITION"), Error, "A condition uses a field that does not exist for the rule's source.";
    "invalid-field-argument", Some("LOAD_ERR_COMPILE_CONDITION"), Error, "A field's argument is missing, not allowed, or malformed.";
    "operator-type-mismatch", Some("LOAD_ERR_COMPILE_CONDITION"), Error, "The operator is not supported for the field's type.";
    "invalid-value", Some("LOAD_ERR_COMPILE_CONDITION"), Error, "A value cannot be parsed for the field's type (number, IP, event type, regex...).";
    "invalid-transformer", Some("LOAD_ERR_COMPILE_CONDITION"), Error, "A transformer is applied to the wrong type or with the wrong arguments.";
    "invalid-rhs-field", Some("LOAD_ERR_COMPILE_CONDITION"), Error, "A field on the right-hand side is not allowed here or has another type.";
    "invalid-output", Some("LOAD_ERR_COMPILE_OUTPUT"), Error, "A rule's output format is invalid.";
    "engine-version-too-old", Some("LOAD_ERR_VALIDATE"), Error, "The rules require a newer Falco engine.";
    "undefined-item", Some("LOAD_ERR_VALIDATE"), Error, "An append, override or enabled-only item names an item that does not exist yet.";
    "source-mismatch", Some("LOAD_ERR_VALIDATE"), Error, "A rule is redefined or extended with a different source.";
    "undefined-macro", Some("LOAD_ERR_VALIDATE"), Error, "A condition refers to a macro that is not defined (or not visible).";
    "macro-loop", Some("LOAD_ERR_VALIDATE"), Error, "A macro refers to itself, directly or through others.";
    "invalid-exception", Some("LOAD_ERR_VALIDATE"), Error, "An exception's fields, comps and values do not fit together.";
    "invalid-append", Some("LOAD_ERR_VALIDATE"), Error, "An appended rule has nothing to append, or appends to fixed parts of an exception.";
    "falco-abort", Some("LOAD_ERR_COMPILE_CONDITION"), Error, "Falco would abort (throw) while loading this condition.";
    // ---- Falco load warnings ----
    "unknown-source", Some("LOAD_UNKNOWN_SOURCE"), Warning, "The rule's source is not provided by any loaded plugin; the rule is skipped.";
    "unsafe-na-check", Some("LOAD_UNSAFE_NA_CHECK"), Warning, "A ka.*/jevt.* field is compared with the literal <NA>.";
    "no-evttype", Some("LOAD_NO_EVTTYPE"), Warning, "The rule matches too many event types.";
    "unknown-filter", Some("LOAD_UNKNOWN_FILTER"), Warning, "With skip-if-unknown-filter, an unknown field or event type skips the rule.";
    "unused-macro", Some("LOAD_UNUSED_MACRO"), Warning, "A macro is never used.";
    "unused-list", Some("LOAD_UNUSED_LIST"), Warning, "A list is never used.";
    "unknown-item", Some("LOAD_UNKNOWN_ITEM"), Warning, "A top-level item is not a rule, macro, list or requirement.";
    "deprecated-item", Some("LOAD_DEPRECATED_ITEM"), Warning, "A deprecated construct: `append: true`, an enabled-only rule, or %container.info.";
    "deprecated-field", Some("LOAD_DEPRECATED_ITEM"), Warning, "A deprecated field (evt.dir, evt.latency...) is used.";
    "append-no-values", Some("LOAD_APPEND_NO_VALUES"), Warning, "An appended exception has no values.";
    "exception-name-not-unique", Some("LOAD_EXCEPTION_NAME_NOT_UNIQUE"), Warning, "Two exceptions of one rule item share a name.";
    "invalid-macro-name", Some("LOAD_INVALID_MACRO_NAME"), Warning, "A macro name can never be referenced from a condition.";
    "invalid-list-name", Some("LOAD_INVALID_LIST_NAME"), Warning, "A list name can never be referenced from a condition.";
    "field-as-value", Some("LOAD_COMPILE_CONDITION"), Warning, "A value is the name of a field: it is compared as a string.";
    "transformer-as-value", Some("LOAD_COMPILE_CONDITION"), Warning, "A value looks like a transformer call: it is compared as a string.";
    "simplifiable-regex", Some("LOAD_COMPILE_CONDITION"), Warning, "A regex that a plain operator could replace.";
    "unknown-key", Some("LOAD_UNKNOWN_KEY"), Warning, "A key is not recognised for this kind of item and is ignored.";
    // ---- falconer's own lints ----
    "output-only-field", None, Warning, "A field meant for outputs only is used in a condition (Falco accepts it).";
    "list-typo", None, Warning, "A value inside a list is not a list name but is close to one: Falco compares it as a literal string.";
    "redefined-item", None, Warning, "An item is fully redefined in the same file, silently replacing the earlier definition.";
    "unreachable-rule", None, Warning, "A rule can never match: its event-type set is empty.";
    "macro-in-other-file", None, Info, "An undefined macro is defined in a workspace file that is not loaded.";
    "yaml-recovered", None, Hint, "Items after a YAML error were checked by recovery; Falco stops at the error.";
}

/// Looks up a code by its id.
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}

//! The Falco catalog: filter fields, event types, operators, value parsing
//! and typing rules of the rules language (LANGUAGE.md A.8, A.10, B, E).
//!
//! All data lives in static tables generated at build time from `data/`
//! (a copy of the project's catalog data, see `data/README.md`), so every
//! lookup is a binary search over `'static` data: nothing is parsed or
//! allocated at start-up.
//!
//! Entry points:
//! * [`Catalog`] / [`catalog()`]: fields, plugins, field resolution
//!   ([`Catalog::resolve`]), event types and event codes;
//! * [`check_operator`]: operator/type compatibility (B.2);
//! * [`parse_value`] / [`Catalog::parse_field_value`]: constant values (B.3);
//! * [`transform_type`] and [`check_rhs_field`]: transformer typing and
//!   right-hand-side fields (B.5, B.6).
//!
//! Messages are libsinsp's texts, without the `filter error: ` prefix that
//! libsinsp adds to operator/type errors (see [`check_operator`]); where
//! libsinsp's own text contains that prefix it is kept.

mod events;
mod imported;
mod index;
mod ops;
mod resolve;
mod transform;
mod types;
mod values;

mod generated {
    #![allow(clippy::all)]
    use crate::types::*;
    include!(concat!(env!("OUT_DIR"), "/catalog.rs"));
}

pub use events::{EventCodes, ASYNC_EVENT_CODE, EVENT_CODE_UNIVERSE, GENERIC_EVENT_CODES};
pub use imported::{ImportError, ImportedCatalog};
pub use ops::{check_operator, operators_for, OperatorInfo, OPERATORS, STRING_OPERATOR_MODIFIERS};
pub use resolve::{FieldScope, ResolveError, Resolved, ResolvedArg, UnknownHint};
pub use transform::{check_rhs_field, transform_type, ExtractorKind, ExtractorType};
pub use types::{
    ArgForm, ArgKind, ArgRequirement, ArgType, CheckClass, Direction, EventFlags, EventInfo,
    EventKind, EventParamName, FieldInfo, FieldType, ParamInfo, PluginInfo, PrintFormat,
};
pub use values::{parse_value, services, ParsedValue, MAX_VALUE_STORAGE};

/// The `OpKind`, `Modifier` and `TransformerKind` enums this crate speaks,
/// re-exported from `falconer-syntax`.
pub use falconer_syntax::ast::{Modifier, OpKind, TransformerKind};

/// The plugins Falco loads in its default installation.
pub const DEFAULT_PLUGINS: &[&str] = &["container"];

/// Fields whose use Falco reports as `LOAD_DEPRECATED_ITEM`, with the
/// explanation Falco gives (`falco_load_result.cpp`). Falco checks the
/// left-hand fields of (expanded) rule conditions and substrings of outputs.
pub const DEPRECATED_FIELD_WARNINGS: [(&str, &str); 6] = [
    (
        "evt.dir",
        "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and \
         'evt.dir = >' always evaluates to false. The rule expression can be simplified by \
         removing the condition on 'evt.dir'",
    ),
    (
        "evt.latency",
        "field is not available due to the drop of enter events.",
    ),
    (
        "evt.latency.s",
        "field is not available due to the drop of enter events.",
    ),
    (
        "evt.latency.ns",
        "field is not available due to the drop of enter events.",
    ),
    (
        "evt.latency.human",
        "field is not available due to the drop of enter events.",
    ),
    (
        "evt.wait_latency",
        "field is not available due to the drop of enter events.",
    ),
];

/// The Falco deprecation explanation for a field name, if Falco warns
/// about it (see [`DEPRECATED_FIELD_WARNINGS`]).
pub fn deprecated_field_warning(name: &str) -> Option<&'static str> {
    DEPRECATED_FIELD_WARNINGS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
}

/// Whether Falco's `<NA>` check (`LOAD_UNSAFE_NA_CHECK`) applies to the
/// field: names starting with `ka.` or `jevt.`.
pub fn is_unsafe_na_field(name: &str) -> bool {
    name.starts_with("ka.") || name.starts_with("jevt.")
}

/// Our description of a field class (the `class` of [`FieldInfo`]).
pub fn class_description(class: &str) -> Option<&'static str> {
    generated::CLASS_DESCRIPTIONS
        .binary_search_by(|(c, _)| (*c).cmp(class))
        .ok()
        .map(|i| generated::CLASS_DESCRIPTIONS[i].1)
}

pub(crate) fn field_names() -> index::Names<'static, impl Fn(usize) -> &'static str> {
    index::Names {
        keys: &generated::FIELD_KEYS,
        name: |i| generated::FIELDS[i].name,
    }
}

/// The catalog. A unit struct: every method reads static tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Catalog;

static CATALOG: Catalog = Catalog;

/// The catalog singleton.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

impl Catalog {
    /// The catalog singleton.
    pub fn get() -> &'static Catalog {
        &CATALOG
    }

    /// Every field (libs and plugins), sorted by name.
    pub fn fields(&self) -> &'static [FieldInfo] {
        &generated::FIELDS
    }

    /// Exact lookup by field name (no argument).
    pub fn field(&self, name: &str) -> Option<&'static FieldInfo> {
        self.field_index(name).map(|i| &generated::FIELDS[i])
    }

    pub(crate) fn field_index(&self, name: &str) -> Option<usize> {
        field_names().find(name)
    }

    /// The fields whose `source` is exactly `source` (`"*"` gives the
    /// source-agnostic ones).
    pub fn fields_of_source<'a>(
        &self,
        source: &'a str,
    ) -> impl Iterator<Item = &'static FieldInfo> + 'a {
        generated::FIELDS.iter().filter(move |f| f.source == source)
    }

    /// The fields visible in a scope (for completion and listings).
    pub fn fields_in_scope<'a>(
        &self,
        scope: &'a FieldScope<'a>,
    ) -> impl Iterator<Item = &'static FieldInfo> + 'a {
        let imported = scope
            .imported
            .into_iter()
            .flat_map(move |imp| imp.fields_for(scope.source));
        generated::FIELDS
            .iter()
            .filter(move |f| scope.sees(f))
            .chain(imported)
    }

    /// The fields of one plugin (by name or flavour name).
    pub fn fields_of_plugin<'a>(
        &self,
        plugin: &'a str,
    ) -> impl Iterator<Item = &'static FieldInfo> + 'a {
        let canonical = self.plugin(plugin).map(|p| p.name);
        generated::FIELDS
            .iter()
            .filter(move |f| f.plugin.is_some() && f.plugin == canonical)
    }

    /// Every plugin known to the catalog, sorted by name.
    pub fn plugins(&self) -> &'static [PluginInfo] {
        &generated::PLUGINS
    }

    /// The plugin names (canonical names, sorted).
    pub fn plugin_names(&self) -> impl Iterator<Item = &'static str> {
        generated::PLUGINS.iter().map(|p| p.name)
    }

    /// A plugin by name or by one of its flavour names (`k8saudit-eks`).
    pub fn plugin(&self, name: &str) -> Option<&'static PluginInfo> {
        generated::PLUGINS
            .iter()
            .find(|p| p.name == name || p.also_known_as.contains(&name))
    }

    /// The event sources available with a set of loaded plugins: `syscall`
    /// always, then the sources of source plugins among `plugins`, in the
    /// order given.
    pub fn known_sources(&self, plugins: &[&str]) -> Vec<&'static str> {
        let mut out = vec!["syscall"];
        for p in plugins {
            if let Some(src) = self.plugin(p).and_then(|p| p.event_source) {
                if !out.contains(&src) {
                    out.push(src);
                }
            }
        }
        out
    }

    /// A "did you mean" for an unknown field name: the closest visible field
    /// name (edit distance, see `falconer_text::suggest`).
    pub fn suggest_field(&self, name: &str, scope: &FieldScope<'_>) -> Option<&'static str> {
        falconer_text::suggest(name, self.fields_in_scope(scope).map(|f| f.name))
    }
}

#[cfg(test)]
mod tests;

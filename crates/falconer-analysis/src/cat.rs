//! The analysis's only door to the catalog: field scopes built from the
//! loaded plugins, resolution, typing and event codes.

use falconer_catalog::{catalog, ArgType, ExtractorType, FieldScope, FieldType, ImportedCatalog};
use falconer_syntax::ast::{Modifier, OpKind, TransformerKind};
use std::sync::Arc;

pub use falconer_catalog::ExtractorType as Ext;

/// The fields visible to one rule: its source and the loaded plugins.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub source: String,
    plugins: Vec<&'static str>,
    /// Fields imported from a real Falco's list (config `catalogs`).
    imported: Option<Arc<ImportedCatalog>>,
}

impl Scope {
    pub fn new(source: &str, plugins: &[String], imported: Option<&Arc<ImportedCatalog>>) -> Scope {
        let plugins = plugins
            .iter()
            .filter_map(|p| catalog().plugin(p).map(|i| i.name))
            .collect();
        Scope {
            source: source.to_string(),
            plugins,
            imported: imported.cloned(),
        }
    }

    /// The same plugins and imported fields for another source.
    pub fn for_source(&self, source: &str) -> Scope {
        Scope {
            source: source.to_string(),
            ..self.clone()
        }
    }

    pub fn field_scope(&self) -> FieldScope<'_> {
        FieldScope::new(&self.source, &self.plugins).with_imported(self.imported.as_deref())
    }

    /// The event sources known in this scope's configuration.
    pub fn known_sources(&self) -> Vec<&'static str> {
        let plugins: Vec<String> = self.plugins.iter().map(|p| p.to_string()).collect();
        known_sources(&plugins, self.imported.as_deref())
    }

    pub fn imported(&self) -> Option<&ImportedCatalog> {
        self.imported.as_deref()
    }

    pub fn plugins(&self) -> &[&'static str] {
        &self.plugins
    }
}

/// A resolved field.
pub struct Res {
    pub ext: ExtractorType,
    pub output_only: bool,
    pub name: &'static str,
}

pub enum ResolveError {
    /// An unknown field (what skip-if-unknown-filter downgrades).
    Unknown(String),
    /// A known field class that rejects the text (argument errors...).
    Invalid(String),
}

pub fn resolve(scope: &Scope, name: &str, arg: Option<&str>) -> Result<Res, ResolveError> {
    match catalog().resolve(name, arg, &scope.field_scope()) {
        Ok(r) => Ok(Res {
            ext: ExtractorType::field(&r),
            output_only: r.field.output_only,
            name: r.field.name,
        }),
        Err(e) if e.is_unknown() => Err(ResolveError::Unknown(e.message())),
        Err(e) => Err(ResolveError::Invalid(e.message())),
    }
}

pub fn suggest_field(scope: &Scope, name: &str) -> Option<String> {
    catalog()
        .suggest_field(name, &scope.field_scope())
        .map(String::from)
}

pub fn transform_type(
    kind: TransformerKind,
    args: &[ExtractorType],
    arg: Option<&str>,
) -> Result<ExtractorType, String> {
    falconer_catalog::transform_type(kind, args, arg)
}

pub fn check_rhs_field(op: OpKind, l: &ExtractorType, r: &ExtractorType) -> Result<(), String> {
    falconer_catalog::check_rhs_field(op, l, r)
}

pub fn check_operator(ty: ArgType, op: OpKind, m: Option<Modifier>) -> Result<(), String> {
    falconer_catalog::check_operator(ty.ty, ty.is_list, op, m)
}

/// B.3 value parsing plus the per-field checks (`evt.type`, `evt.around`).
pub fn parse_value(
    scope: &Scope,
    field: &str,
    ty: FieldType,
    op: OpKind,
    text: &[u8],
) -> Result<(), String> {
    catalog()
        .parse_field_value(field, ty, op, text, scope.plugins())
        .map(|_| ())
}

pub fn suggest_event_type(name: &str) -> Option<String> {
    falconer_text::suggest(name, catalog().event_type_names().iter().copied()).map(String::from)
}

/// B.7 (1): the value is the exact name of a field of this source.
pub fn is_field_name(scope: &Scope, s: &str) -> bool {
    s.contains('.') && catalog().resolve_text(s, &scope.field_scope()).is_ok()
}

/// Whether an exception field is a valid left-hand side: a field that
/// resolves, or (with a parenthesis) an expression `F exists` that does.
pub fn is_valid_lhs(scope: &Scope, text: &str) -> bool {
    if !text.contains('(') {
        return catalog().resolve_text(text, &scope.field_scope()).is_ok();
    }
    let parsed = falconer_syntax::parse_condition(&format!("{text} exists"));
    let Some(falconer_syntax::ast::Expr::Unary { lhs, .. }) =
        parsed.expr.filter(|_| parsed.errors.is_empty())
    else {
        return false;
    };
    match lhs {
        falconer_syntax::ast::Lhs::Field(f) => {
            resolve(scope, &f.name, f.arg.as_ref().map(|a| a.value.as_str())).is_ok()
        }
        falconer_syntax::ast::Lhs::Transformer(t) => {
            crate::checks::typeck::transformer_compiles(scope, &t)
        }
    }
}

pub fn known_sources(plugins: &[String], imported: Option<&ImportedCatalog>) -> Vec<&'static str> {
    let refs: Vec<&str> = plugins.iter().map(String::as_str).collect();
    let mut out = catalog().known_sources(&refs);
    for s in imported.map(ImportedCatalog::sources).unwrap_or_default() {
        if !out.contains(s) {
            out.push(s);
        }
    }
    out
}

pub fn is_plugin(name: &str) -> bool {
    catalog().plugin(name).is_some()
}

pub fn event_universe() -> usize {
    falconer_catalog::EVENT_CODE_UNIVERSE
}

pub fn event_name(code: u16) -> Option<&'static str> {
    catalog().event_name(code)
}

pub fn event_codes(name: &str, scope: &Scope) -> Vec<u16> {
    catalog()
        .event_codes_for_name_with_plugins(name, scope.plugins())
        .to_vec()
}

pub fn is_syscall_name(name: &str) -> bool {
    catalog().syscall_names().binary_search(&name).is_ok()
}

pub fn generic_syscall_codes() -> &'static [u16] {
    &falconer_catalog::GENERIC_EVENT_CODES
}

/// `type` or `type (list)` as libsinsp prints it.
pub fn describe(t: ArgType) -> String {
    if t.is_list {
        format!("{} (list)", t.ty.message_name())
    } else {
        t.ty.message_name().to_string()
    }
}

//! Fields imported from a real Falco's own list: the JSON printed by
//! `falco --list --format json` (libsinsp's field-class JSON, wrapped in
//! `{"fieldclasses": [...]}`).
//!
//! Each class has a `name`, optional `desc`, `event_sources` (the sources
//! it applies to) and `fields`, each with `name`, `type` (a
//! `ppm_param_type` name such as `CHARBUF`), `desc`, `is_list` and
//! `argument` (`null`, or `{"required": bool, "type": ["INDEX", "KEY"]}`).
//!
//! Only fields our catalog does not know are added (typically those of
//! third-party plugins): for fields we know, our tables carry more (argument
//! forms, flags, output-only...). Imported fields resolve like plugin
//! fields: the exact name, optionally followed by `[argument]`. Their
//! sources become known event sources.
//!
//! Imported records must be `'static` like the generated ones: they are
//! leaked once per distinct file content (a process-wide cache), so
//! reloading the same file costs nothing.

use crate::resolve::{plugin_field, ResolveError, Resolved};
use crate::types::{
    ArgForm, ArgKind, ArgRequirement, CheckClass, FieldInfo, FieldType, PrintFormat,
};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

/// An imported field list, ready for resolution.
#[derive(Debug)]
pub struct ImportedCatalog {
    fields: Vec<ImportedField>,
    /// Field name → index in `fields`.
    by_name: HashMap<&'static str, usize>,
    sources: Vec<&'static str>,
    /// Fields in the file (known to us or not).
    total: usize,
    digest: u64,
}

#[derive(Debug)]
struct ImportedField {
    info: &'static FieldInfo,
    /// Sources the field applies to (empty: every source).
    sources: Vec<&'static str>,
}

/// Why an imported list cannot be used: a message and, for JSON syntax
/// errors, the 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn err(message: String) -> ImportError {
    ImportError {
        message,
        line: 0,
        column: 0,
    }
}

impl ImportedCatalog {
    /// Parses the output of `falco --list --format json`. The same text
    /// always gives the same (shared) catalog.
    pub fn from_falco_json(text: &str) -> Result<Arc<ImportedCatalog>, ImportError> {
        static CACHE: OnceLock<Mutex<HashMap<u64, Arc<ImportedCatalog>>>> = OnceLock::new();
        let digest = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut h);
            h.finish()
        };
        let cache = CACHE.get_or_init(Default::default);
        if let Some(c) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&digest) {
            return Ok(c.clone());
        }
        let parsed = Arc::new(Self::parse(text, digest)?);
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(digest, parsed.clone());
        Ok(parsed)
    }

    fn parse(text: &str, digest: u64) -> Result<ImportedCatalog, ImportError> {
        let root: Value = serde_json::from_str(text).map_err(|e| ImportError {
            // serde_json appends the position, which we report apart.
            message: format!(
                "not valid JSON: {}",
                e.to_string().split(" at line ").next().unwrap_or_default()
            ),
            line: e.line(),
            column: e.column(),
        })?;
        if root.get("fieldnames").is_some() && root.get("fieldclasses").is_none() {
            return Err(err(
                "this list has field names only (made with --names-only?): it has no types; \
                 export it with `falco --list --format json`"
                    .into(),
            ));
        }
        let classes = match &root {
            Value::Object(o) => o.get("fieldclasses").and_then(Value::as_array),
            Value::Array(a) => Some(a),
            _ => None,
        }
        .ok_or_else(|| {
            err("expected the output of `falco --list --format json`: an object with a \"fieldclasses\" array".into())
        })?;
        let mut out = ImportedCatalog {
            fields: Vec::new(),
            by_name: HashMap::new(),
            sources: Vec::new(),
            total: 0,
            digest,
        };
        for (ci, class) in classes.iter().enumerate() {
            let cname = class
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| err(format!("field class #{} has no \"name\"", ci + 1)))?;
            let sources: Vec<&'static str> = class
                .get("event_sources")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(leak).collect())
                .unwrap_or_default();
            for s in &sources {
                if !out.sources.contains(s) {
                    out.sources.push(s);
                }
            }
            let fields = class
                .get("fields")
                .and_then(Value::as_array)
                .ok_or_else(|| err(format!("field class '{cname}' has no \"fields\" array")))?;
            let class_name = leak(cname);
            let builtin = matches!(
                cname,
                "evt" | "process" | "user" | "group" | "fd" | "fs.path" | "util" | "fdlist"
            );
            for fv in fields {
                out.total += 1;
                let name = fv
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| err(format!("a field of class '{cname}' has no \"name\"")))?;
                if crate::catalog().field(name).is_some() || out.by_name.contains_key(name) {
                    continue;
                }
                let ty_name = fv.get("type").and_then(Value::as_str).unwrap_or("");
                let ty = FieldType::from_name(ty_name).ok_or_else(|| {
                    err(format!("field '{name}' has an unknown type '{ty_name}'"))
                })?;
                let (arg, arg_kind, arg_forms): (
                    ArgRequirement,
                    Option<ArgKind>,
                    &'static [ArgForm],
                ) = match fv.get("argument") {
                    Some(Value::Object(a)) => {
                        let required = a.get("required").and_then(Value::as_bool).unwrap_or(false);
                        let kinds: Vec<&str> = a
                            .get("type")
                            .and_then(Value::as_array)
                            .map(|t| t.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default();
                        let (kind, forms): (ArgKind, &'static [ArgForm]) =
                            match (kinds.contains(&"INDEX"), kinds.contains(&"KEY")) {
                                (true, false) => (ArgKind::Index, &[ArgForm::BracketIndex]),
                                (false, true) => (ArgKind::Key, &[ArgForm::BracketKey]),
                                _ => (
                                    ArgKind::IndexOrKey,
                                    &[ArgForm::BracketIndex, ArgForm::BracketKey],
                                ),
                            };
                        let req = if required {
                            ArgRequirement::Required
                        } else {
                            ArgRequirement::Allowed
                        };
                        (req, Some(kind), forms)
                    }
                    _ => (ArgRequirement::None, None, &[]),
                };
                let desc = fv.get("desc").and_then(Value::as_str).map(leak);
                let info: &'static FieldInfo = Box::leak(Box::new(FieldInfo {
                    name: leak(name),
                    source: if sources.len() == 1 { sources[0] } else { "*" },
                    plugin: if builtin { None } else { Some(class_name) },
                    class: class_name,
                    check_class: CheckClass::Plugin,
                    ty,
                    is_list: fv.get("is_list").and_then(Value::as_bool).unwrap_or(false),
                    arg,
                    arg_kind,
                    arg_forms,
                    deprecated: false,
                    filter_only: false,
                    output_only: false,
                    table_only: false,
                    no_rhs: false,
                    no_transformer: false,
                    hidden: false,
                    aliases: &[],
                    alias_of: None,
                    replaced_by: None,
                    also_provided_by: &[],
                    extract_sources: &[],
                    print_format: PrintFormat::Na,
                    description: desc,
                }));
                out.by_name.insert(info.name, out.fields.len());
                out.fields.push(ImportedField {
                    info,
                    sources: sources.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Fields added to our catalog.
    pub fn added(&self) -> usize {
        self.fields.len()
    }

    /// Fields in the imported list.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Event sources named by the list.
    pub fn sources(&self) -> &[&'static str] {
        &self.sources
    }

    /// A digest of the imported text (equal lists, equal digests).
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// The added fields that apply to `source`.
    pub fn fields_for<'a>(
        &'a self,
        source: &'a str,
    ) -> impl Iterator<Item = &'static FieldInfo> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.sources.is_empty() || f.sources.contains(&source))
            .map(|f| f.info)
    }

    /// Resolves `text` (`name` or `name[arg]`) among the added fields of
    /// `source`; `None` when no added field is named so.
    pub(crate) fn resolve_text(
        &self,
        text: &str,
        source: &str,
    ) -> Option<Result<Resolved, ResolveError>> {
        let name = text.find('[').map_or(text, |p| &text[..p]);
        let f = &self.fields[*self.by_name.get(name.trim_end())?];
        if !(f.sources.is_empty() || f.sources.contains(&source)) {
            return None;
        }
        Some(match plugin_field(text, f.info) {
            Ok(Some((len, arg))) if len == text.len() => Ok(Resolved {
                field: f.info,
                ty: f.info.ty,
                is_list: f.info.is_list,
                arg,
            }),
            Ok(_) => Err(ResolveError::Unknown {
                text: text.to_string(),
                hint: None,
            }),
            Err(message) => Err(ResolveError::Invalid {
                text: text.to_string(),
                message,
            }),
        })
    }
}

impl PartialEq for ImportedCatalog {
    fn eq(&self, other: &Self) -> bool {
        self.digest == other.digest
    }
}

impl Eq for ImportedCatalog {}

impl Hash for ImportedCatalog {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.digest.hash(state)
    }
}

//! The salsa database: inputs (file texts in load order, config) and the
//! tracked queries every consumer (check, LSP, engine) shares.
//!
//! Query graph:
//! `parse_yaml(file)` → `file_items(file)` → `collected(ws)` →
//! `compiled(ws)` (conditions parsed through `parse_condition(text)`,
//! interned by text so a parse survives edits that only move it) →
//! `diagnostics(ws)`.

use crate::cat;
use crate::checks::read::{read_file, FileItems};
use crate::collect::{collect, Collected};
use crate::compile::{compile, Compiled, Env};
use crate::config::{Config, Level, DEFAULT_PLUGINS};
use crate::diagnostic::{Diagnostic, FileId, Loc};
use crate::model::{ItemDef, Shift};
use falconer_syntax::ParsedCondition;
use falconer_yaml::YamlFile;
use std::collections::HashMap;
use std::sync::Arc;

#[salsa::db]
#[derive(Default, Clone)]
pub struct RootDb {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for RootDb {}

/// One rules file.
#[salsa::input]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: Arc<str>,
}

/// The files in load order, the workspace files outside it, the config.
#[salsa::input]
pub struct Workspace {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    #[returns(ref)]
    pub extra_files: Vec<SourceFile>,
    #[returns(ref)]
    pub config: Config,
}

#[salsa::interned]
pub struct ConditionText<'db> {
    #[returns(ref)]
    pub text: String,
}

#[salsa::tracked(returns(ref))]
pub fn parse_yaml(db: &dyn salsa::Database, file: SourceFile) -> Arc<YamlFile> {
    Arc::new(falconer_yaml::parse(file.text(db)))
}

/// The text of one top-level item of a file.
#[salsa::interned]
pub struct ItemText<'db> {
    #[returns(ref)]
    pub text: String,
}

/// Items read from one top-level item parsed on its own, positions relative
/// to the item's start; `None` when it does not parse alone (the file is
/// then read whole). Interned by text, so an edit re-reads only the item it
/// touches.
#[salsa::tracked(returns(ref))]
pub fn chunk_items<'db>(
    db: &'db dyn salsa::Database,
    chunk: ItemText<'db>,
) -> Option<Arc<FileItems>> {
    let text = chunk.text(db);
    let node = falconer_yaml::parse_item(text, 0..text.len())?;
    let span = node.span;
    let root = falconer_yaml::Node {
        kind: falconer_yaml::NodeKind::Sequence {
            items: vec![node],
            flow: false,
        },
        span,
        tag: None,
    };
    let yaml = YamlFile {
        documents: vec![falconer_yaml::Document {
            root: Some(root),
            span,
            recovered: false,
        }],
        errors: Vec::new(),
    };
    Some(Arc::new(read_file(0, &yaml)))
}

fn shift_diag(d: &mut Diagnostic, delta: u32) {
    d.loc.span = d.loc.span.shift(delta);
    for r in &mut d.related {
        r.loc.span = r.loc.span.shift(delta);
    }
    if let Some(s) = &mut d.suggestion {
        s.span = s.span.shift(delta);
    }
}

/// Items of one file; diagnostics use file id 0 and are renumbered by the
/// caller (so a file's items do not depend on its position). A file made
/// of top-level items that each parse alone is read item by item (cached
/// per item text); any other file is parsed whole.
#[salsa::tracked(returns(ref))]
pub fn file_items(db: &dyn salsa::Database, file: SourceFile) -> Arc<FileItems> {
    let text: &str = file.text(db);
    if let Some(ranges) = falconer_yaml::split_items(text) {
        let mut out = FileItems::default();
        let mut whole = true;
        for r in ranges {
            let Some(chunk) = chunk_items(db, ItemText::new(db, text[r.clone()].to_string()))
            else {
                whole = false;
                break;
            };
            let delta = r.start as u32;
            for item in &chunk.items {
                let mut item = item.clone();
                item.shift(delta);
                out.items.push(item);
            }
            for d in &chunk.diagnostics {
                let mut d = d.clone();
                shift_diag(&mut d, delta);
                out.diagnostics.push(d);
            }
        }
        if whole {
            return Arc::new(out);
        }
    }
    Arc::new(read_file(0, parse_yaml(db, file)))
}

#[salsa::tracked(returns(ref))]
pub fn parse_condition<'db>(
    db: &'db dyn salsa::Database,
    text: ConditionText<'db>,
) -> Arc<ParsedCondition> {
    Arc::new(falconer_syntax::parse_condition(text.text(db)))
}

/// Items of file `id` with locations renumbered to `id`.
fn renumbered(items: &FileItems, id: FileId) -> FileItems {
    let mut f = items.clone();
    if id != 0 {
        for d in &mut f.diagnostics {
            renumber(d, id);
        }
    }
    f
}

fn renumber(d: &mut Diagnostic, id: FileId) {
    d.loc.file = id;
    for r in &mut d.related {
        r.loc.file = id;
    }
}

#[salsa::tracked(returns(ref))]
pub fn collected(db: &dyn salsa::Database, ws: Workspace) -> Arc<Collected> {
    let files: Vec<FileItems> = ws
        .files(db)
        .iter()
        .enumerate()
        .map(|(i, f)| renumbered(file_items(db, *f), i as FileId))
        .collect();
    let refs: Vec<&FileItems> = files.iter().collect();
    Arc::new(collect(&refs))
}

/// Plugins loaded: defaults, config, and every plugin named by
/// `required_plugin_versions`.
pub fn plugins(config: &Config, collected: &Collected) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    if config.default_plugins {
        v.extend(DEFAULT_PLUGINS.iter().map(|s| s.to_string()));
    }
    v.extend(config.plugins.iter().cloned());
    v.extend(collected.required_plugins.iter().cloned());
    v.retain(|p| cat::is_plugin(p));
    v.sort();
    v.dedup();
    v
}

/// Macros defined in workspace files outside the load order.
#[salsa::tracked(returns(ref))]
pub fn other_macros(db: &dyn salsa::Database, ws: Workspace) -> Arc<HashMap<String, Loc>> {
    let base = ws.files(db).len() as FileId;
    let mut m = HashMap::new();
    for (i, f) in ws.extra_files(db).iter().enumerate() {
        for item in &file_items(db, *f).items {
            if let ItemDef::Macro(mac) = &item.def {
                m.entry(mac.name.value.clone()).or_insert(Loc {
                    file: base + i as FileId,
                    span: mac.name.span,
                });
            }
        }
    }
    Arc::new(m)
}

#[salsa::tracked(returns(ref))]
pub fn compiled(db: &dyn salsa::Database, ws: Workspace) -> Arc<Compiled> {
    let c = collected(db, ws);
    let plugins = plugins(ws.config(db), c);
    let parse = |text: &str| -> Arc<ParsedCondition> {
        parse_condition(db, ConditionText::new(db, text.to_string())).clone()
    };
    let env = Env {
        collected: c,
        parse: &parse,
        plugins: &plugins,
        other_macros: other_macros(db, ws),
        list_typo: ws.config(db).lints.get("list-typo") != Some(&Level::Off),
        imported: ws.config(db).imported.as_ref(),
    };
    Arc::new(compile(&env))
}

/// Engine-version requirements above the configured engine.
fn engine_diags(db: &dyn salsa::Database, ws: Workspace) -> Vec<Diagnostic> {
    let engine = ws.config(db).engine_version;
    let mut out = Vec::new();
    for (i, f) in ws.files(db).iter().enumerate() {
        for item in &file_items(db, *f).items {
            if let ItemDef::EngineVersion(v) = &item.def {
                let req = v.value;
                if req.0 != engine.0 || req > engine {
                    out.push(Diagnostic::new(
                        "engine-version-too-old",
                        Loc {
                            file: i as FileId,
                            span: v.span,
                        },
                        format!(
                            "Rules require engine version {}.{}.{}, but engine version is {}.{}.{}",
                            req.0, req.1, req.2, engine.0, engine.1, engine.2
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// Every diagnostic of the workspace: lint levels applied, duplicates
/// removed, sorted by file and position.
#[salsa::tracked(returns(ref))]
pub fn diagnostics(db: &dyn salsa::Database, ws: Workspace) -> Arc<Vec<Diagnostic>> {
    let mut all: Vec<Diagnostic> = Vec::new();
    for (i, f) in ws.files(db).iter().enumerate() {
        all.extend(renumbered(file_items(db, *f), i as FileId).diagnostics);
    }
    all.extend(engine_diags(db, ws));
    all.extend(collected(db, ws).diagnostics.iter().cloned());
    all.extend(compiled(db, ws).diagnostics.iter().cloned());
    // Falco reports unused items only when everything loaded without error
    // (an item lost to an error would make others look unused).
    if all
        .iter()
        .any(|d| d.severity == crate::codes::Severity::Error)
    {
        all.retain(|d| !matches!(d.code, "unused-list" | "unused-macro"));
    }
    let lints = &ws.config(db).lints;
    let mut out: Vec<Diagnostic> = Vec::with_capacity(all.len());
    for mut d in all {
        if let Some(level) = lints.get(d.code) {
            let info = crate::codes::lookup(d.code);
            // Falco's errors cannot be turned down.
            let is_falco_error = info.is_some_and(|c| {
                c.falco_code.is_some() && c.severity == crate::codes::Severity::Error
            });
            if !is_falco_error {
                match level {
                    Level::Off => continue,
                    Level::Set(s) => d.severity = *s,
                }
            }
        }
        out.push(d);
    }
    out.sort_by(|a, b| {
        (
            a.loc.file,
            a.loc.span.start,
            a.loc.span.end,
            a.code,
            &a.message,
        )
            .cmp(&(
                b.loc.file,
                b.loc.span.start,
                b.loc.span.end,
                b.code,
                &b.message,
            ))
    });
    out.dedup_by(|a, b| a.loc == b.loc && a.code == b.code && a.message == b.message);
    Arc::new(out)
}

//! The salsa database: inputs (file texts in load order, config) and the
//! tracked queries every consumer (check, LSP, engine) shares.
//!
//! Query graph:
//! `parse_yaml(file)` → `file_items(file)` → `collected(ws)` →
//! `compiled(ws)` (conditions parsed through `parse_condition(text)`,
//! interned by text so a parse survives edits that only move it) →
//! `diagnostics(ws)`.

use crate::cat;
use crate::checks::evttype::EvtSet;
use crate::checks::read::{read_file, FileItems};
use crate::collect::{collect_chunks, Collected};
use crate::compile::{self, compile, Checked, Compiled, Env, ListEnv, Prepared};
use crate::config::{Config, Level, DEFAULT_PLUGINS};
use crate::diagnostic::{Diagnostic, FileId, Loc};
use crate::model::{Item, ItemDef, Shift};
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

/// A file's line index (for the language server's position conversion):
/// built once per text, not per request.
#[salsa::tracked(returns(ref))]
pub fn line_index(db: &dyn salsa::Database, file: SourceFile) -> Arc<falconer_text::LineIndex> {
    Arc::new(falconer_text::LineIndex::new(file.text(db)))
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

/// The items of one file as read: chunks of items (positions relative to
/// the chunk) with the offset where each chunk starts. A file made of
/// top-level items that each parse alone is read item by item (one chunk
/// per item, cached by its text, so an edit re-reads only the item it
/// touches and the others are shared, not copied); any other file is one
/// chunk read whole. Diagnostics use file id 0.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Chunks {
    pub chunks: Vec<(u32, Arc<FileItems>)>,
}

impl Chunks {
    /// Every item, with the offset of its chunk.
    pub fn items(&self) -> impl Iterator<Item = (u32, &Item)> {
        self.chunks
            .iter()
            .flat_map(|(off, c)| c.items.iter().map(move |i| (*off, i)))
    }

    /// Every diagnostic, placed in the file (file id 0).
    pub fn diagnostics(&self) -> impl Iterator<Item = Diagnostic> + '_ {
        self.chunks.iter().flat_map(|(off, c)| {
            c.diagnostics.iter().map(move |d| {
                let mut d = d.clone();
                shift_diag(&mut d, *off);
                d
            })
        })
    }
}

#[salsa::tracked(returns(ref))]
pub fn file_chunks(db: &dyn salsa::Database, file: SourceFile) -> Arc<Chunks> {
    let text: &str = file.text(db);
    if let Some(ranges) = falconer_yaml::split_items(text) {
        let mut out = Chunks::default();
        let mut whole = true;
        for r in ranges {
            let Some(chunk) = chunk_items(db, ItemText::new(db, &text[r.clone()])) else {
                whole = false;
                break;
            };
            out.chunks.push((r.start as u32, chunk.clone()));
        }
        if whole {
            return Arc::new(out);
        }
    }
    Arc::new(Chunks {
        chunks: vec![(0, Arc::new(read_file(0, parse_yaml(db, file))))],
    })
}

/// Items of one file, placed in the file; diagnostics use file id 0 and
/// are renumbered by the caller (so a file's items do not depend on its
/// position). For the IDE; the checks read [`file_chunks`].
#[salsa::tracked(returns(ref))]
pub fn file_items(db: &dyn salsa::Database, file: SourceFile) -> Arc<FileItems> {
    let chunks = file_chunks(db, file);
    if let [(0, only)] = chunks.chunks.as_slice() {
        return only.clone();
    }
    Arc::new(FileItems {
        items: chunks
            .items()
            .map(|(off, i)| {
                let mut i = i.clone();
                i.shift(off);
                i
            })
            .collect(),
        diagnostics: chunks.diagnostics().collect(),
    })
}

/// The chunks of a file that hold lists: equal (same chunks) across edits
/// of its other items.
#[salsa::tracked(returns(ref))]
pub fn list_chunks(db: &dyn salsa::Database, file: SourceFile) -> Arc<Vec<Arc<FileItems>>> {
    Arc::new(
        file_chunks(db, file)
            .chunks
            .iter()
            .filter(|(_, c)| c.items.iter().any(|i| matches!(i.def, ItemDef::List(_))))
            .map(|(_, c)| c.clone())
            .collect(),
    )
}

#[salsa::tracked(returns(ref))]
pub fn parse_condition<'db>(
    db: &'db dyn salsa::Database,
    text: ConditionText<'db>,
) -> Arc<ParsedCondition> {
    Arc::new(falconer_syntax::parse_condition(text.text(db)))
}

fn renumber(d: &mut Diagnostic, id: FileId) {
    d.loc.file = id;
    for r in &mut d.related {
        r.loc.file = id;
    }
}

#[salsa::tracked(returns(ref))]
pub fn collected(db: &dyn salsa::Database, ws: Workspace) -> Arc<Collected> {
    let files: Vec<Vec<(u32, &FileItems)>> = ws
        .files(db)
        .iter()
        .map(|f| {
            file_chunks(db, *f)
                .chunks
                .iter()
                .map(|(off, c)| (*off, &**c))
                .collect()
        })
        .collect();
    let refs: Vec<&[(u32, &FileItems)]> = files.iter().map(Vec::as_slice).collect();
    Arc::new(collect_chunks(&refs))
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
        for (off, item) in file_chunks(db, *f).items() {
            if let ItemDef::Macro(mac) = &item.def {
                m.entry(mac.name.value.clone()).or_insert(Loc {
                    file: base + i as FileId,
                    span: mac.name.span.shift(off),
                });
            }
        }
    }
    Arc::new(m)
}

/// [`plugins`] as a query: equal across edits that leave
/// `required_plugin_versions` alone, so type checks are not redone.
#[salsa::tracked(returns(ref))]
pub fn loaded_plugins(db: &dyn salsa::Database, ws: Workspace) -> Arc<Vec<String>> {
    Arc::new(plugins(ws.config(db), collected(db, ws)))
}

/// The lists as conditions see them: equal across edits that touch no
/// list, so no condition is substituted again.
#[salsa::tracked(returns(ref))]
pub fn list_env(db: &dyn salsa::Database, ws: Workspace) -> Arc<ListEnv> {
    let list_typo = ws.config(db).lints.get("list-typo") != Some(&Level::Off);
    let files: Vec<&Arc<Vec<Arc<FileItems>>>> =
        ws.files(db).iter().map(|f| list_chunks(db, *f)).collect();
    let items = files
        .iter()
        .flat_map(|f| f.iter())
        .flat_map(|c| c.items.iter());
    Arc::new(compile::list_env(items, list_typo))
}

/// A condition text of the workspace (macro, or rule with exceptions
/// folded in), before list substitution.
#[salsa::interned]
pub struct PrepKey<'db> {
    pub ws: Workspace,
    #[returns(ref)]
    pub text: String,
}

/// A condition substituted and parsed; positions relative to its text, so
/// the result survives edits that only move it.
#[salsa::tracked(returns(ref))]
pub fn prepared<'db>(db: &'db dyn salsa::Database, key: PrepKey<'db>) -> Arc<Prepared> {
    let lists = list_env(db, *key.ws(db));
    let parse = |text: &str| -> Arc<ParsedCondition> {
        parse_condition(db, ConditionText::new(db, text)).clone()
    };
    let syscall = scope(db, *key.ws(db), compile::SYSCALL_CONTEXT.0);
    Arc::new(compile::prepare(key.text(db), lists, &parse, &syscall))
}

fn scope(db: &dyn salsa::Database, ws: Workspace, source: &str) -> cat::Scope {
    cat::Scope::new(
        source,
        loaded_plugins(db, ws),
        ws.config(db).imported.as_ref(),
    )
}

/// One condition's tree type checked for a source and a
/// `skip-if-unknown-filter` setting.
#[salsa::interned]
pub struct TypeckKey<'db> {
    pub prep: PrepKey<'db>,
    #[returns(ref)]
    pub source: String,
    pub skip: bool,
}

/// For contexts other than [`compile::SYSCALL_CONTEXT`] (whose check is
/// part of [`prepared`]; [`checked_in`] picks).
#[salsa::tracked(returns(ref))]
pub fn typechecked<'db>(db: &'db dyn salsa::Database, key: TypeckKey<'db>) -> Arc<Checked> {
    let prep = *key.prep(db);
    let p = prepared(db, prep);
    let scope = scope(db, *prep.ws(db), key.source(db));
    Arc::new(compile::typecheck(
        p.parsed.expr.as_ref(),
        &scope,
        *key.skip(db),
    ))
}

/// The type check of a prepared condition in a (source, skip) context.
pub fn checked_in<'db>(
    db: &'db dyn salsa::Database,
    key: PrepKey<'db>,
    prep: &'db Prepared,
    source: &str,
    skip: bool,
) -> &'db Checked {
    if (source, skip) == compile::SYSCALL_CONTEXT {
        &prep.syscall
    } else {
        typechecked(db, TypeckKey::new(db, key, source, skip))
    }
}

/// A rule's output for a source and a `skip-if-unknown-filter` setting.
#[salsa::interned]
pub struct OutputKey<'db> {
    pub ws: Workspace,
    #[returns(ref)]
    pub text: String,
    #[returns(ref)]
    pub source: String,
    pub skip: bool,
}

#[salsa::tracked(returns(ref))]
pub fn output_checked<'db>(db: &'db dyn salsa::Database, key: OutputKey<'db>) -> Arc<Checked> {
    let scope = scope(db, *key.ws(db), key.source(db));
    Arc::new(compile::output_check(key.text(db), &scope, *key.skip(db)))
}

/// A syscall rule's condition with the macros it reaches (by name).
#[salsa::interned]
pub struct EvtKey<'db> {
    pub rule: PrepKey<'db>,
    #[returns(ref)]
    pub macros: Vec<(String, PrepKey<'db>)>,
}

#[salsa::tracked(returns(ref))]
pub fn evttypes_of<'db>(db: &'db dyn salsa::Database, key: EvtKey<'db>) -> Arc<EvtSet> {
    let rule = *key.rule(db);
    let p = prepared(db, rule);
    let macros: Vec<(String, Option<&falconer_syntax::ast::Expr>)> = key
        .macros(db)
        .iter()
        .map(|(n, k)| (n.clone(), prepared(db, *k).parsed.expr.as_ref()))
        .collect();
    let scope = scope(db, *rule.ws(db), "syscall");
    Arc::new(compile::rule_evttypes(
        p.parsed.expr.as_ref(),
        &macros,
        &scope,
    ))
}

#[salsa::tracked(returns(ref))]
pub fn compiled(db: &dyn salsa::Database, ws: Workspace) -> Arc<Compiled> {
    let c = collected(db, ws);
    let env = Env {
        db,
        ws,
        collected: c,
        lists: list_env(db, ws),
        plugins: loaded_plugins(db, ws),
        other_macros: other_macros(db, ws),
        imported: ws.config(db).imported.as_ref(),
    };
    Arc::new(compile(&env))
}

/// Engine-version requirements above the configured engine.
fn engine_diags(db: &dyn salsa::Database, ws: Workspace) -> Vec<Diagnostic> {
    let engine = ws.config(db).engine_version;
    let mut out = Vec::new();
    for (i, f) in ws.files(db).iter().enumerate() {
        for (off, item) in file_chunks(db, *f).items() {
            if let ItemDef::EngineVersion(v) = &item.def {
                let req = v.value;
                if req.0 != engine.0 || req > engine {
                    out.push(Diagnostic::new(
                        "engine-version-too-old",
                        Loc {
                            file: i as FileId,
                            span: v.span.shift(off),
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
        all.extend(file_chunks(db, *f).diagnostics().map(|mut d| {
            renumber(&mut d, i as FileId);
            d
        }));
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

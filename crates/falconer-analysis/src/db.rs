//! The salsa database: inputs (file texts in load order, config) and the
//! tracked queries every consumer (check, LSP, engine) shares.
//!
//! Query graph:
//! file items (read when the text is set, see [`set_file_text`]) →
//! `file_chunks(file)` → `collected(ws)` → `compiled(ws)` (per-condition
//! results from the [`CondMemo`], keyed by text so they survive edits that
//! only move them) → `diagnostics(ws)`.

use crate::cat;
use crate::checks::read::{read_file, FileItems};
use crate::collect::{collect_chunks, Collected};
use crate::compile::{self, compile, Compiled, Env, ListEnv};
use crate::config::{Config, Level, DEFAULT_PLUGINS};
use crate::diagnostic::{Diagnostic, FileId, Loc};
use crate::memo::CondMemo;
use crate::model::{Item, ItemDef, Shift, Str};
use falconer_syntax::ParsedCondition;
use falconer_yaml::YamlFile;
use salsa::Setter;
use std::collections::HashMap;
use std::sync::Arc;

#[salsa::db]
#[derive(Default, Clone)]
pub struct RootDb {
    storage: salsa::Storage<Self>,
    /// Per-condition results, shared by the snapshots.
    memo: Arc<CondMemo>,
}

#[salsa::db]
impl salsa::Database for RootDb {}

/// The database of the compilation queries: salsa's, plus the table of
/// per-condition results.
#[salsa::db]
pub trait Db: salsa::Database {
    fn memo(&self) -> &CondMemo;
}

#[salsa::db]
impl Db for RootDb {
    fn memo(&self) -> &CondMemo {
        &self.memo
    }
}

/// One rules file. Create it with [`new_file`] and change its text with
/// [`set_file_text`], which keep `items` in step with `text`.
#[salsa::input]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: Arc<str>,
    /// The top-level items of `text` as [`falconer_yaml::split_items`] cuts
    /// it, each with its offset and its items read on their own
    /// ([`read_item`]); `None` when the text does not split.
    #[returns(ref)]
    pub items: Option<Arc<Vec<ItemRead>>>,
    /// The line index of `text`, built when first asked for
    /// ([`line_index`]); once built, each edit updates it from the last
    /// one rather than scanning the whole text again.
    #[returns(ref)]
    pub lines: Lines,
}

/// A line index built on first use.
pub type Lines = Arc<std::sync::OnceLock<Arc<falconer_text::LineIndex>>>;

/// One top-level item of a file: its offset, and its items read from it
/// alone (see [`read_item`]).
pub type ItemRead = (u32, Option<Arc<FileItems>>);

/// Items read from one top-level item parsed on its own, positions relative
/// to the item's start; `None` when it does not parse alone (the file is
/// then read whole, by [`file_chunks`]).
pub fn read_item(text: &str) -> Option<Arc<FileItems>> {
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

/// Files with at least this many items are read on two threads.
const PARALLEL_ITEMS: usize = 256;

fn split_read(text: &str) -> Option<Arc<Vec<ItemRead>>> {
    let ranges = falconer_yaml::split_items(text)?;
    let read = |rs: &[std::ops::Range<usize>]| -> Vec<ItemRead> {
        rs.iter()
            .map(|r| (r.start as u32, read_item(&text[r.clone()])))
            .collect()
    };
    if ranges.len() < PARALLEL_ITEMS {
        return Some(Arc::new(read(&ranges)));
    }
    // Items are read on their own, so a large file's second half is read
    // on another core meanwhile (the same reads, in the same order).
    let (first, second) = ranges.split_at(ranges.len() / 2);
    let items = std::thread::scope(|s| {
        let other = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(s, || read(second));
        let mut items = read(first);
        match other.map(|h| h.join()) {
            Ok(Ok(rest)) => items.extend(rest),
            // No thread to be had (or it failed): read here.
            _ => items.extend(read(second)),
        }
        items
    });
    Some(Arc::new(items))
}

/// A new rules file input, split into items, each read.
pub fn new_file(db: &RootDb, path: String, text: Arc<str>) -> SourceFile {
    let items = split_read(&text);
    SourceFile::new(db, path, text, items, Lines::default())
}

/// Replaces the text of `file`. Items are read when the text is set, and
/// only those the edit touches ([`falconer_yaml::resplit_items`]): the
/// others keep their reads, moved to their new offsets. So an edit costs
/// no salsa query per item, and [`file_chunks`] shares every unchanged
/// item's read.
pub fn set_file_text(db: &mut RootDb, file: SourceFile, text: Arc<str>) {
    let old_text = file.text(db).clone();
    let items = match file.items(db).clone() {
        None => split_read(&text),
        Some(old) => {
            let starts: Vec<usize> = old.iter().map(|(s, _)| *s as usize).collect();
            falconer_yaml::resplit_items(&old_text, &starts, &text).map(|r| {
                let mut items =
                    Vec::with_capacity(r.before + r.between.len() + old.len() - r.after);
                items.extend_from_slice(&old[..r.before]);
                items.extend(
                    r.between
                        .into_iter()
                        .map(|range| (range.start as u32, read_item(&text[range]))),
                );
                let delta = text.len() as i64 - old_text.len() as i64;
                items.extend(
                    old[r.after..]
                        .iter()
                        .map(|(s, i)| ((*s as i64 + delta) as u32, i.clone())),
                );
                Arc::new(items)
            })
        }
    };
    // A line index already in use follows the edit (the language server
    // converts positions after every change); otherwise it waits.
    let lines = Lines::default();
    if let Some(old) = file.lines(db).get() {
        let _ = lines.set(Arc::new(old.edited(&old_text, &text)));
    }
    file.set_text(db).to(text);
    file.set_items(db).to(items);
    file.set_lines(db).to(lines);
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
/// built once per text, not per request, and after an edit updated from
/// the previous text's ([`set_file_text`]).
pub fn line_index(db: &dyn salsa::Database, file: SourceFile) -> &Arc<falconer_text::LineIndex> {
    file.lines(db)
        .get_or_init(|| Arc::new(falconer_text::LineIndex::new(file.text(db))))
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
    if let Some(items) = file.items(db) {
        let mut out = Chunks {
            chunks: Vec::with_capacity(items.len()),
        };
        let mut whole = true;
        for (at, item) in items.iter() {
            let Some(chunk) = item else {
                whole = false;
                break;
            };
            out.chunks.push((*at, chunk.clone()));
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

/// Not compared with the previous value: an edit always changes it (the
/// item it touches), and comparing costs as much as collecting.
#[salsa::tracked(returns(ref), no_eq)]
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
    v.extend(collected.required_plugins.iter().map(|p| p.to_string()));
    v.retain(|p| cat::is_plugin(p));
    v.sort();
    v.dedup();
    v
}

/// Macros defined in workspace files outside the load order.
#[salsa::tracked(returns(ref))]
pub fn other_macros(db: &dyn salsa::Database, ws: Workspace) -> Arc<HashMap<Str, Loc>> {
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

/// The compilation: conditions are substituted, parsed and checked through
/// the database's [`CondMemo`] (keyed by text, so a result survives edits
/// that only move its text; see [`crate::memo`]).
#[salsa::tracked(returns(ref))]
pub fn compiled(db: &dyn Db, ws: Workspace) -> Arc<Compiled> {
    let c = collected(db, ws);
    let lists = list_env(db, ws);
    let plugins = loaded_plugins(db, ws);
    let imported = ws.config(db).imported.as_ref();
    let env = Env {
        collected: c,
        lists,
        plugins,
        other_macros: other_macros(db, ws),
        imported,
    };
    let parse = |text: &str| -> Arc<ParsedCondition> {
        parse_condition(db, ConditionText::new(db, text)).clone()
    };
    let mut memo = db.memo().session(lists, plugins, imported, &parse);
    let out = compile(&env, &mut memo);
    memo.finish();
    Arc::new(out)
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
pub fn diagnostics(db: &dyn Db, ws: Workspace) -> Arc<Vec<Diagnostic>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A file large enough to be read on two threads gives the same items,
    /// in the same order, as reading each item in turn.
    #[test]
    fn a_large_file_read_on_two_threads_reads_as_one() {
        let text = falconer_testgen::generate(4500);
        let ranges = falconer_yaml::split_items(&text).expect("the generated file splits");
        assert!(ranges.len() >= PARALLEL_ITEMS);
        let one: Vec<ItemRead> = ranges
            .into_iter()
            .map(|r| (r.start as u32, read_item(&text[r])))
            .collect();
        let two = split_read(&text).expect("the generated file splits");
        assert_eq!(*two, one);
    }
}

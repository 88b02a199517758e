//! IDE queries over the analysis (symbols, navigation, hover, completion
//! context): what the language server asks, computed from the same
//! collected and compiled items that `check` reports on.
//!
//! Everything here is "given the analysis, a file and an offset, the
//! answer": plain Rust types with byte spans, no LSP types, no positions in
//! lines and columns (the server converts). The entry point is
//! [`Analysis`], a read-only snapshot of an [`AnalysisHost`] that can move
//! to another thread; a write to the host cancels the queries of every
//! snapshot (they unwind with [`Cancelled`], see [`is_cancelled`]).
//!
//! * `locate`: what the cursor is on (item, key, offset inside a
//!   condition or output), read from the YAML tree so that items the reader
//!   rejects (a rule being typed has no `output` yet) still have a context;
//! * `symbols`: the lists, macros and rules of a file;
//! * `navigation`: go to definition and find references of macros, lists
//!   and rules across files (every defining, appending and overriding item);
//! * `hover`: fields (type, argument, description, deprecation), macros
//!   (definition text), lists (items and expanded items), rules;
//! * `completion`: field names (filtered by the rule's source and by what
//!   is typed), operators for the field's type, macros and lists in
//!   operand position, event types, `%fields` in outputs;
//! * `occurrences`: every place a macro, list or rule name is written
//!   (what references, highlights and rename share);
//! * `highlight`: the other places of the name (or field) under the
//!   cursor in its file, definitions as writes;
//! * `rename`: macros, lists and rules across files, refused with a
//!   reason when the name is not valid for the kind or collides;
//! * `workspace_symbols`: every list, macro and rule, fuzzy-matched;
//! * `semantic_tokens`: fields, operators, macros, lists, values,
//!   transformers and keywords of conditions and outputs, mapped to the
//!   file line by line;
//! * `code_actions`: "did you mean" fixes, missing keys, deprecated
//!   constructs, and the `or` chain to `in` refactoring;
//! * `inlay_hints`: list sizes after list references, event types at the
//!   end of rule conditions;
//! * `folding`, `selection`: folding ranges and expanding selections;
//! * `edit`: text edits and the helpers that keep them exact inside YAML
//!   scalars.
//! * `format`: the formatter (condition layout; works on a file's text,
//!   without the database).

mod code_actions;
mod completion;
mod edit;
mod folding;
pub mod format;
mod highlight;
mod hover;
mod inlay_hints;
mod locate;
mod navigation;
mod occurrences;
mod rename;
mod selection;
mod semantic_tokens;
mod symbols;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_editing;
mod workspace_symbols;

pub use code_actions::{code_actions, code_actions_at, CodeAction, CodeActionKind};
pub use completion::{completions, CompletionItem, CompletionKind, EAGER_DOCS};
pub use edit::{apply_edits, SourceChange, TextEdit};
pub use folding::{folding_ranges, Fold, FoldKind};
pub use highlight::{document_highlights, Highlight, HighlightKind};
pub use hover::{field_documentation, hover, HoverResult};
pub use inlay_hints::{inlay_hints, InlayHint, InlayKind};
pub use navigation::{definitions, reference_span, references, Reference};
pub use rename::{prepare_rename, rename, RenameError, RenameTarget};
pub use selection::selection_ranges;
pub use semantic_tokens::{
    modifiers as token_modifiers, semantic_tokens, SemanticToken, TokenType,
};
pub use symbols::{document_symbols, DocumentSymbol};
pub use workspace_symbols::{workspace_symbols, WorkspaceSymbol};

use crate::checks::read::FileItems;
use crate::collect::Collected;
use crate::compile::Compiled;
use crate::db::{self, RootDb, SourceFile, Workspace};
use crate::{AnalysisHost, Config, Diagnostic, FileId};
use falconer_syntax::ParsedCondition;
use falconer_text::Span;
use falconer_yaml::YamlFile;
use salsa::Setter;
use std::collections::HashMap;
use std::sync::Arc;

/// The payload a query unwinds with when a write to the host cancels it.
pub use salsa::Cancelled;

/// Whether a panic payload is a salsa cancellation (not a bug: the input
/// changed under the query; retry or drop the answer).
pub fn is_cancelled(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<Cancelled>()
}

/// A position in a file: byte offset into the file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FilePosition {
    pub file: FileId,
    pub offset: u32,
}

/// What a symbol or a navigation target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    List,
    Macro,
    Rule,
    EngineVersion,
    PluginVersions,
}

/// Where to jump: the whole item and the name inside it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NavTarget {
    pub file: FileId,
    pub kind: SymbolKind,
    pub name: String,
    /// The whole item (the YAML mapping).
    pub full_span: Span,
    /// The name value.
    pub focus_span: Span,
}

/// A read-only snapshot of the analysis. Cheap to take; queries on it see
/// the inputs as they were when it was taken. Drop it before writing to the
/// host (a write waits for every snapshot to be dropped).
pub struct Analysis {
    db: RootDb,
    ws: Workspace,
}

impl AnalysisHost {
    /// A snapshot for queries on another thread.
    pub fn snapshot(&self) -> Analysis {
        Analysis {
            db: self.db.clone(),
            ws: self.ws,
        }
    }

    /// Replaces the loaded files (in load order) and the extra workspace
    /// files, keeping the inputs of files whose path is unchanged (only
    /// texts that differ are set), so cached results survive. Use it when
    /// the set of files changes; [`AnalysisHost::set_text`] for an edit.
    pub fn update_files(&mut self, files: Vec<(String, String)>, extra: Vec<(String, String)>) {
        let mut existing: HashMap<String, SourceFile> = HashMap::new();
        for f in self
            .ws
            .files(&self.db)
            .iter()
            .chain(self.ws.extra_files(&self.db).iter())
        {
            existing.entry(f.path(&self.db).clone()).or_insert(*f);
        }
        let mut make = |db: &mut RootDb, (path, text): (String, String)| -> SourceFile {
            match existing.remove(&path) {
                Some(f) => {
                    if **f.text(db) != *text {
                        db::set_file_text(db, f, Arc::from(text));
                    }
                    f
                }
                None => db::new_file(db, path, Arc::from(text)),
            }
        };
        let files: Vec<SourceFile> = files.into_iter().map(|f| make(&mut self.db, f)).collect();
        let extra: Vec<SourceFile> = extra.into_iter().map(|f| make(&mut self.db, f)).collect();
        if *self.ws.files(&self.db) != files {
            self.ws.set_files(&mut self.db).to(files);
        }
        if *self.ws.extra_files(&self.db) != extra {
            self.ws.set_extra_files(&mut self.db).to(extra);
        }
    }

    /// Replaces the text of file `id`, loaded or extra (a no-op when the
    /// text is unchanged).
    pub fn set_text(&mut self, id: FileId, text: &str) {
        if let Some(f) = source_file(&self.db, self.ws, id) {
            if **f.text(&self.db) != *text {
                db::set_file_text(&mut self.db, f, Arc::from(text));
            }
        }
    }
}

fn source_file(db: &RootDb, ws: Workspace, id: FileId) -> Option<SourceFile> {
    let files = ws.files(db);
    let n = files.len();
    if (id as usize) < n {
        Some(files[id as usize])
    } else {
        ws.extra_files(db).get(id as usize - n).copied()
    }
}

impl Analysis {
    pub fn config(&self) -> &Config {
        self.ws.config(&self.db)
    }

    /// Loaded files plus extra files.
    pub fn file_count(&self) -> usize {
        self.loaded_count() + self.ws.extra_files(&self.db).len()
    }

    /// Files in the load order (ids `0..loaded_count()`); extra files come
    /// after them.
    pub fn loaded_count(&self) -> usize {
        self.ws.files(&self.db).len()
    }

    pub fn is_loaded(&self, file: FileId) -> bool {
        (file as usize) < self.loaded_count()
    }

    fn source(&self, file: FileId) -> Option<SourceFile> {
        source_file(&self.db, self.ws, file)
    }

    /// Path of file `id` (empty for an unknown id).
    pub fn file_path(&self, file: FileId) -> &str {
        self.source(file).map_or("", |f| f.path(&self.db).as_str())
    }

    /// Text of file `id` (empty for an unknown id).
    pub fn file_text(&self, file: FileId) -> &str {
        self.source(file).map_or("", |f| &**f.text(&self.db))
    }

    pub fn diagnostics(&self) -> &Arc<Vec<Diagnostic>> {
        db::diagnostics(&self.db, self.ws)
    }

    pub fn collected(&self) -> &Arc<Collected> {
        db::collected(&self.db, self.ws)
    }

    pub fn compiled(&self) -> &Arc<Compiled> {
        db::compiled(&self.db, self.ws)
    }

    /// Plugins whose fields are available.
    pub fn plugins(&self) -> Vec<String> {
        db::plugins(self.config(), self.collected())
    }

    /// The fields visible to an item of `source`: loaded plugins and the
    /// imported Falco field list.
    pub fn scope(&self, source: &str) -> crate::cat::Scope {
        crate::cat::Scope::new(source, &self.plugins(), self.config().imported.as_ref())
    }

    /// The line index of file `id` (cached per text).
    pub fn line_index(&self, file: FileId) -> Arc<falconer_text::LineIndex> {
        match self.source(file) {
            Some(f) => db::line_index(&self.db, f).clone(),
            None => Arc::new(falconer_text::LineIndex::new("")),
        }
    }

    /// The YAML tree of a file.
    pub fn yaml(&self, file: FileId) -> Option<&Arc<YamlFile>> {
        self.source(file).map(|f| db::parse_yaml(&self.db, f))
    }

    /// The items of a file (their diagnostics use file id 0).
    pub fn file_items(&self, file: FileId) -> Option<&Arc<FileItems>> {
        self.source(file).map(|f| db::file_items(&self.db, f))
    }

    /// A condition parsed through the database (cached by text).
    pub fn parse_condition(&self, text: &str) -> Arc<ParsedCondition> {
        db::parse_condition(&self.db, db::ConditionText::new(&self.db, text.to_string())).clone()
    }

    /// A condition as written in an item, parsed for the IDE: a fragment
    /// that starts with `and`/`or` (an append, joined as text to the
    /// condition it extends) is parsed with that keyword blanked, so its
    /// tree has the same offsets as the text.
    pub(crate) fn parse_written(&self, text: &str) -> Arc<ParsedCondition> {
        match fragment_keyword(text) {
            Some(k) => {
                let mut t = text.to_string();
                t.replace_range(k.range(), &" ".repeat(k.len() as usize));
                self.parse_condition(&t)
            }
            None => self.parse_condition(text),
        }
    }

    /// Checks for cancellation (unwinds with [`Cancelled`] when a write is
    /// pending); long loops call it between files.
    pub fn unwind_if_cancelled(&self) {
        use salsa::Database;
        self.db.unwind_if_revision_cancelled();
    }
}

/// The leading `and`/`or` of an appended condition fragment (followed by
/// a blank or `(`), if any.
pub(crate) fn fragment_keyword(text: &str) -> Option<Span> {
    let lead = text.len() - text.trim_start().len();
    let rest = &text[lead..];
    ["and", "or"].into_iter().find_map(|k| {
        let after = rest.strip_prefix(k)?;
        after
            .starts_with([' ', '\t', '\n', '\r', '('])
            .then(|| Span::new(lead as u32, (lead + k.len()) as u32))
    })
}

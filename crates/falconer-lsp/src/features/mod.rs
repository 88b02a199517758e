//! One module per LSP feature. Each is a plain function from a
//! [`Snapshot`](crate::state::Snapshot) and the request's parameters to the
//! response: it converts positions (through `line_index`), calls the
//! analysis's `ide` query, and converts the answer back.

pub mod code_actions;
pub mod code_lens;
pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod folding;
pub mod formatting;
pub mod highlight;
pub mod hover;
pub mod inlay_hints;
pub mod references;
pub mod rename;
pub mod run_tests;
pub mod selection;
pub mod semantic_tokens;
pub mod symbols;
pub mod test_diagnostics;
pub mod workspace_symbols;

use crate::state::Snapshot;
use falconer_analysis::ide::{FilePosition, SourceChange};
use std::collections::HashMap;
use tower_lsp_server::ls_types::{TextDocumentPositionParams, TextEdit, WorkspaceEdit};

/// The file and byte offset of a request's position (`None` for a file
/// outside the workspace's rules files).
pub fn file_position(snap: &Snapshot, p: &TextDocumentPositionParams) -> Option<FilePosition> {
    let file = snap.file_id(&p.text_document.uri)?;
    let offset = snap.line_map(file).offset(p.position);
    Some(FilePosition { file, offset })
}

/// The LSP form of an analysis change (edits per document URI).
pub fn workspace_edit(snap: &Snapshot, change: &SourceChange) -> WorkspaceEdit {
    let mut changes = HashMap::new();
    for (&file, edits) in &change.files {
        if (file as usize) >= snap.files.len() || edits.is_empty() {
            continue;
        }
        let map = snap.line_map(file);
        let edits = edits
            .iter()
            .map(|e| TextEdit::new(map.range(e.span), e.new_text.clone()))
            .collect();
        changes.insert(snap.uri(file).clone(), edits);
    }
    WorkspaceEdit {
        changes: Some(changes),
        document_changes: None,
        change_annotations: None,
    }
}

//! One module per LSP feature. Each is a plain function from a
//! [`Snapshot`](crate::state::Snapshot) and the request's parameters to the
//! response: it converts positions (through `line_index`), calls the
//! analysis's `ide` query, and converts the answer back.

pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod references;
pub mod symbols;

use crate::state::Snapshot;
use falconer_analysis::ide::FilePosition;
use tower_lsp_server::ls_types::TextDocumentPositionParams;

/// The file and byte offset of a request's position (`None` for a file
/// outside the workspace's rules files).
pub fn file_position(snap: &Snapshot, p: &TextDocumentPositionParams) -> Option<FilePosition> {
    let file = snap.file_id(&p.text_document.uri)?;
    let offset = snap.line_map(file).offset(p.position);
    Some(FilePosition { file, offset })
}

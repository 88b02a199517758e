//! `textDocument/documentHighlight`: the other places of the macro, list
//! or rule name under the cursor in the same file (the names of defining,
//! appending and overriding items as writes, uses as reads), or of the
//! field under the cursor (reads).

use super::file_position;
use crate::state::Snapshot;
use falconer_analysis::ide::{self, HighlightKind};
use tower_lsp_server::ls_types::{
    DocumentHighlight, DocumentHighlightKind, DocumentHighlightParams,
};

pub fn document_highlight(
    snap: &Snapshot,
    params: DocumentHighlightParams,
) -> Option<Vec<DocumentHighlight>> {
    let pos = file_position(snap, &params.text_document_position_params)?;
    let map = snap.line_map(pos.file);
    Some(
        ide::document_highlights(&snap.analysis, pos)
            .into_iter()
            .map(|h| DocumentHighlight {
                range: map.range(h.span),
                kind: Some(match h.kind {
                    HighlightKind::Read => DocumentHighlightKind::READ,
                    HighlightKind::Write => DocumentHighlightKind::WRITE,
                }),
            })
            .collect(),
    )
}

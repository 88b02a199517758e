//! `textDocument/hover`: fields (type, argument form, description,
//! deprecation), operators, macros (definition text), lists (items and
//! expanded items), rules.

use super::file_position;
use crate::state::Snapshot;
use falconer_analysis::ide;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

pub fn hover(snap: &Snapshot, params: HoverParams) -> Option<Hover> {
    let pos = file_position(snap, &params.text_document_position_params)?;
    let h = ide::hover(&snap.analysis, pos)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: h.markdown,
        }),
        range: Some(snap.line_map(pos.file).range(h.span)),
    })
}

//! `textDocument/inlayHint`: list sizes after list references
//! (`: 12 items`) and, at the end of a rule's condition, the event types
//! it applies to (abbreviated, or a warning when it matches every event).

use super::semantic_tokens::span_of;
use crate::state::Snapshot;
use falconer_analysis::ide::{self, InlayKind};
use tower_lsp_server::ls_types::{
    InlayHint, InlayHintKind, InlayHintLabel, InlayHintParams, InlayHintTooltip, MarkupContent,
    MarkupKind,
};

pub fn inlay_hints(snap: &Snapshot, params: InlayHintParams) -> Option<Vec<InlayHint>> {
    let file = snap.file_id(&params.text_document.uri)?;
    let span = span_of(snap, file, params.range);
    let map = snap.line_map(file);
    Some(
        ide::inlay_hints(&snap.analysis, file, Some(span))
            .into_iter()
            .map(|h| InlayHint {
                position: map.position(h.offset),
                label: InlayHintLabel::String(h.label),
                kind: match h.kind {
                    InlayKind::ListSize => Some(InlayHintKind::TYPE),
                    InlayKind::EventTypes => None,
                },
                text_edits: None,
                tooltip: h.tooltip.map(|t| {
                    InlayHintTooltip::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: t,
                    })
                }),
                padding_left: Some(h.kind == InlayKind::EventTypes),
                padding_right: None,
                data: None,
            })
            .collect(),
    )
}

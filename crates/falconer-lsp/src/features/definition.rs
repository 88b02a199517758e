//! `textDocument/definition`: from a macro or list reference (in a
//! condition or in a list's items) or from an item's name to every item
//! that defines, appends to or overrides it, across files.

use super::file_position;
use crate::state::Snapshot;
use falconer_analysis::ide;
use tower_lsp_server::ls_types::{GotoDefinitionParams, GotoDefinitionResponse, LocationLink};

pub fn goto_definition(
    snap: &Snapshot,
    params: GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let pos = file_position(snap, &params.text_document_position_params)?;
    let origin =
        ide::reference_span(&snap.analysis, pos).map(|span| snap.line_map(pos.file).range(span));
    let links: Vec<LocationLink> = ide::definitions(&snap.analysis, pos)
        .into_iter()
        .filter(|t| (t.file as usize) < snap.files.len())
        .map(|t| {
            let map = snap.line_map(t.file);
            LocationLink {
                origin_selection_range: origin,
                target_uri: snap.uri(t.file).clone(),
                target_range: map.range(t.full_span),
                target_selection_range: map.range(t.focus_span),
            }
        })
        .collect();
    (!links.is_empty()).then_some(GotoDefinitionResponse::Link(links))
}

//! `textDocument/references`: every use of a macro or list (conditions,
//! other lists' items) across files; with `includeDeclaration`, also the
//! names of the items that define, append to or override it.

use super::file_position;
use crate::state::Snapshot;
use falconer_analysis::ide;
use tower_lsp_server::ls_types::{Location, ReferenceParams};

pub fn references(snap: &Snapshot, params: ReferenceParams) -> Option<Vec<Location>> {
    let pos = file_position(snap, &params.text_document_position)?;
    let refs = ide::references(&snap.analysis, pos, params.context.include_declaration);
    let mut out = Vec::with_capacity(refs.len());
    let mut map_file = None;
    for r in refs {
        if (r.file as usize) >= snap.files.len() {
            continue;
        }
        // References come sorted by file: one line index per file.
        if map_file.as_ref().is_none_or(|(f, _)| *f != r.file) {
            map_file = Some((r.file, snap.line_map(r.file)));
        }
        let (_, map) = map_file.as_ref()?;
        out.push(Location::new(snap.uri(r.file).clone(), map.range(r.span)));
    }
    Some(out)
}

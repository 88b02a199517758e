//! `workspace/symbol`: the lists, macros and rules of every workspace
//! file, fuzzy-matched against the query (best first).

use crate::state::Snapshot;
use falconer_analysis::ide::{self, SymbolKind};
use tower_lsp_server::ls_types::{
    self as lsp, Location, WorkspaceSymbolParams, WorkspaceSymbolResponse,
};

/// Symbols returned at most (clients filter further as the user types).
const LIMIT: usize = 500;

pub fn symbols(snap: &Snapshot, params: WorkspaceSymbolParams) -> Option<WorkspaceSymbolResponse> {
    let found = ide::workspace_symbols(&snap.analysis, &params.query, LIMIT);
    let out = found
        .into_iter()
        .filter(|s| (s.file as usize) < snap.files.len())
        .map(|s| {
            let file = &snap.files[s.file as usize];
            let container = file
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            // `SymbolInformation` (rather than 3.17's `WorkspaceSymbol`)
            // is what every client reads.
            #[allow(deprecated)]
            lsp::SymbolInformation {
                name: s.name,
                kind: match s.kind {
                    SymbolKind::List => lsp::SymbolKind::ARRAY,
                    SymbolKind::Macro => lsp::SymbolKind::FUNCTION,
                    _ => lsp::SymbolKind::EVENT,
                },
                tags: None,
                deprecated: None,
                location: Location::new(
                    file.uri.clone(),
                    snap.line_map(s.file).range(s.focus_span),
                ),
                container_name: match (container, s.detail) {
                    (Some(c), Some(d)) => Some(format!("{c} ({d})")),
                    (c, d) => c.or(d),
                },
            }
        })
        .collect();
    Some(WorkspaceSymbolResponse::Flat(out))
}

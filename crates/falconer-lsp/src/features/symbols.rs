//! `textDocument/documentSymbol`: the lists, macros and rules of a file,
//! rules with their priority as detail.

use crate::state::Snapshot;
use falconer_analysis::ide::{self, SymbolKind};
use tower_lsp_server::ls_types::{self as lsp, DocumentSymbolParams, DocumentSymbolResponse};

pub fn document_symbols(
    snap: &Snapshot,
    params: DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let file = snap.file_id(&params.text_document.uri)?;
    let map = snap.line_map(file);
    let symbols = ide::document_symbols(&snap.analysis, file)
        .into_iter()
        .map(|s| {
            #[allow(deprecated)]
            lsp::DocumentSymbol {
                name: s.name,
                detail: s.detail,
                kind: match s.kind {
                    SymbolKind::List => lsp::SymbolKind::ARRAY,
                    SymbolKind::Macro => lsp::SymbolKind::FUNCTION,
                    SymbolKind::Rule => lsp::SymbolKind::EVENT,
                    SymbolKind::EngineVersion | SymbolKind::PluginVersions => {
                        lsp::SymbolKind::CONSTANT
                    }
                },
                tags: None,
                deprecated: None,
                range: map.range(s.full_span),
                selection_range: map.range(s.focus_span),
                children: None,
            }
        })
        .collect();
    Some(DocumentSymbolResponse::Nested(symbols))
}

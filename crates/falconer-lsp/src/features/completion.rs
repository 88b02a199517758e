//! `textDocument/completion` (and `completionItem/resolve`): fields after
//! `proc.` and the like (filtered by the rule's source and the typed
//! prefix, with the type as detail), operators for the field's type,
//! macros and lists in operand position, event types, `%fields` in
//! outputs. Long lists leave field documentation to `resolve`.

use super::file_position;
use crate::state::Snapshot;
use falconer_analysis::ide::{self, CompletionKind};
use tower_lsp_server::ls_types::{
    self as lsp, CompletionItemKind, CompletionItemTag, CompletionList, CompletionParams,
    CompletionResponse, CompletionTextEdit, Documentation, MarkupContent, MarkupKind, TextEdit,
};

fn markdown(value: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    })
}

pub fn completion(snap: &Snapshot, params: CompletionParams) -> Option<CompletionResponse> {
    let pos = file_position(snap, &params.text_document_position)?;
    let items = ide::completions(&snap.analysis, pos);
    let map = snap.line_map(pos.file);
    // Above this many items, field documentation is sent on `resolve`:
    // the client asks for the one item it shows, and the answer stays
    // small (after `proc.`, ~70 fields would carry ~70 pages of markdown).
    let eager = items.len() <= ide::EAGER_DOCS;
    let items = items
        .into_iter()
        .map(|c| {
            let lazy = !eager && c.kind == CompletionKind::Field;
            lsp::CompletionItem {
                kind: Some(match c.kind {
                    CompletionKind::Field => CompletionItemKind::FIELD,
                    CompletionKind::Macro => CompletionItemKind::FUNCTION,
                    CompletionKind::List => CompletionItemKind::ENUM,
                    CompletionKind::Operator => CompletionItemKind::OPERATOR,
                    CompletionKind::Keyword => CompletionItemKind::KEYWORD,
                    CompletionKind::Transformer => CompletionItemKind::METHOD,
                    CompletionKind::Value => CompletionItemKind::ENUM_MEMBER,
                }),
                detail: c.detail,
                documentation: if lazy {
                    None
                } else {
                    c.documentation.map(markdown)
                },
                tags: c.deprecated.then(|| vec![CompletionItemTag::DEPRECATED]),
                sort_text: Some(format!("{}{}", c.rank, c.label)),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                    map.range(c.replace),
                    c.insert_text,
                ))),
                label: c.label,
                ..Default::default()
            }
        })
        .collect();
    Some(CompletionResponse::List(CompletionList {
        is_incomplete: false,
        items,
    }))
}

/// Fills in a field's documentation (a field item's label is the field).
pub fn resolve(mut item: lsp::CompletionItem) -> lsp::CompletionItem {
    if item.documentation.is_none() && item.kind == Some(CompletionItemKind::FIELD) {
        if let Some(doc) = ide::field_documentation(&item.label) {
            item.documentation = Some(markdown(doc));
        }
    }
    item
}

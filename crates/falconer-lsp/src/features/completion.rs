//! `textDocument/completion` (and `completionItem/resolve`): fields after
//! `proc.` and the like (filtered by the rule's source and the typed
//! prefix, with the type as detail), operators for the field's type,
//! macros and lists in operand position, event types, `%fields` in
//! outputs. Long lists leave field documentation to `resolve`.

use super::file_position;
use crate::state::Snapshot;
use falconer_analysis::ide::{self, CompletionKind};
use serde_json::json;
use tower_lsp_server::ls_types::{
    self as lsp, CompletionItemKind, CompletionItemTag, CompletionList, CompletionParams,
    CompletionResponse, CompletionTextEdit, Documentation, MarkupContent, MarkupKind, TextEdit,
};

/// Above this many items, field documentation is sent on `resolve`.
const EAGER_DOCS: usize = 100;

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
    let eager = items.len() <= EAGER_DOCS;
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
                filter_text: Some(c.label.clone()),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                    map.range(c.replace),
                    c.insert_text,
                ))),
                data: lazy.then(|| json!({ "field": c.label })),
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

/// Fills in a field's documentation.
pub fn resolve(mut item: lsp::CompletionItem) -> lsp::CompletionItem {
    if item.documentation.is_none() {
        let name = item
            .data
            .as_ref()
            .and_then(|d| d.get("field"))
            .and_then(|f| f.as_str());
        if let Some(doc) = name.and_then(ide::field_documentation) {
            item.documentation = Some(markdown(doc));
        }
    }
    item
}

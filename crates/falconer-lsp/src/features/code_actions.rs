//! `textDocument/codeAction`: quick fixes ("did you mean", missing keys,
//! deprecated `append`/`enabled`, deprecated fields with a named
//! replacement) and the `or` chain to `in` refactoring, from
//! `falconer_analysis::ide::code_actions`. Fixes carry the diagnostic
//! they fix (as published); `context.only` filters by kind.

use super::diagnostics::to_lsp;
use super::semantic_tokens::span_of;
use super::workspace_edit;
use crate::state::Snapshot;
use falconer_analysis::ide::{self, CodeActionKind};
use tower_lsp_server::ls_types::{
    self as lsp, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
};

pub fn code_actions(snap: &Snapshot, params: CodeActionParams) -> Option<CodeActionResponse> {
    let file = snap.file_id(&params.text_document.uri)?;
    let span = span_of(snap, file, params.range);
    let only = params.context.only.as_ref();
    let wanted = |k: &lsp::CodeActionKind| {
        only.is_none_or(|o| {
            o.iter().any(|w| {
                let w = w.as_str();
                k.as_str() == w || k.as_str().starts_with(&format!("{w}."))
            })
        })
    };
    let out = ide::code_actions(&snap.analysis, file, span)
        .into_iter()
        .filter_map(|a| {
            let kind = match a.kind {
                CodeActionKind::QuickFix => lsp::CodeActionKind::QUICKFIX,
                CodeActionKind::RefactorRewrite => lsp::CodeActionKind::REFACTOR_REWRITE,
            };
            if !wanted(&kind) {
                return None;
            }
            Some(CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: a.title,
                kind: Some(kind),
                diagnostics: a.diagnostic.as_ref().map(|d| vec![to_lsp(snap, d)]),
                edit: Some(workspace_edit(snap, &a.change)),
                command: None,
                is_preferred: a.preferred.then_some(true),
                disabled: None,
                data: None,
            }))
        })
        .collect();
    Some(out)
}

//! `textDocument/prepareRename` and `textDocument/rename`: macros, lists
//! and rules across every workspace file. A refusal (not a name, invalid
//! or colliding new name, a name written with YAML escapes) is an error
//! response (`RequestFailed`) whose message says why, which clients show.

use super::{file_position, workspace_edit};
use crate::state::Snapshot;
use falconer_analysis::ide;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{
    PrepareRenameResponse, RenameParams, TextDocumentPositionParams, WorkspaceEdit,
};

/// LSP's `RequestFailed`: the request was valid but cannot be done.
const REQUEST_FAILED: i64 = -32803;

fn refused(e: ide::RenameError) -> Error {
    Error {
        code: ErrorCode::ServerError(REQUEST_FAILED),
        message: e.0.into(),
        data: None,
    }
}

pub fn prepare_rename(
    snap: &Snapshot,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    let Some(pos) = file_position(snap, &params) else {
        return Ok(None);
    };
    let t = ide::prepare_rename(&snap.analysis, pos).map_err(refused)?;
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: snap.line_map(pos.file).range(t.span),
        placeholder: t.name,
    }))
}

pub fn rename(snap: &Snapshot, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let Some(pos) = file_position(snap, &params.text_document_position) else {
        return Ok(None);
    };
    let change = ide::rename(&snap.analysis, pos, &params.new_name).map_err(refused)?;
    Ok(Some(workspace_edit(snap, &change)))
}

//! `textDocument/formatting` and `textDocument/rangeFormatting`: the
//! condition layout of `falconer_analysis::ide::format` (the same as
//! `falconer fmt`, with the width of `falconer.toml`'s `[format]` table),
//! as one edit per rewritten condition. The client's tab size is not used:
//! the editor and `falconer fmt --check` in CI must agree. A file with a
//! YAML syntax error gets no edits.

use crate::state::Snapshot;
use falconer_analysis::ide::format::{self, FormatOptions};
use falconer_analysis::FileId;
use falconer_text::Span;
use tower_lsp_server::ls_types::{
    DocumentFormattingParams, DocumentRangeFormattingParams, TextEdit,
};

fn edits(snap: &Snapshot, range: Option<Span>, file: FileId) -> Option<Vec<TextEdit>> {
    let text = snap.analysis.file_text(file);
    let mut opts = FormatOptions {
        width: snap.format_width,
        ..FormatOptions::default()
    };
    // Lists of the whole workspace: a name with a delimiter in it makes
    // the conditions that mention it untouchable.
    opts.list_names = snap
        .analysis
        .collected()
        .lists
        .iter()
        .map(|l| l.name.to_string())
        .filter(|n| n.bytes().any(|b| b" \t\r\n(),=".contains(&b)))
        .collect();
    let found = format::format_edits(text, range, &opts).ok()?;
    let map = snap.line_map(file);
    Some(
        found
            .into_iter()
            .map(|e| TextEdit {
                range: map.range(e.span),
                new_text: e.new_text,
            })
            .collect(),
    )
}

pub fn formatting(snap: &Snapshot, p: DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let file = snap.file_id(&p.text_document.uri)?;
    edits(snap, None, file)
}

pub fn range_formatting(
    snap: &Snapshot,
    p: DocumentRangeFormattingParams,
) -> Option<Vec<TextEdit>> {
    let file = snap.file_id(&p.text_document.uri)?;
    let map = snap.line_map(file);
    let span = Span::new(map.offset(p.range.start), map.offset(p.range.end));
    edits(snap, Some(span), file)
}

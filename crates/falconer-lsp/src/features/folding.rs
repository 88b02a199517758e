//! `textDocument/foldingRange`: items, multi-line values (conditions,
//! list items, exceptions...) and comment blocks, by line.

use crate::state::Snapshot;
use falconer_analysis::ide::{self, FoldKind};
use tower_lsp_server::ls_types::{FoldingRange, FoldingRangeKind, FoldingRangeParams};

pub fn folding_ranges(snap: &Snapshot, params: FoldingRangeParams) -> Option<Vec<FoldingRange>> {
    let file = snap.file_id(&params.text_document.uri)?;
    let map = snap.line_map(file);
    let mut out: Vec<FoldingRange> = Vec::new();
    for f in ide::folding_ranges(&snap.analysis, file) {
        let r = map.range(f.span);
        if r.end.line <= r.start.line {
            continue;
        }
        if out
            .iter()
            .any(|o| o.start_line == r.start.line && o.end_line == r.end.line)
        {
            continue;
        }
        out.push(FoldingRange {
            start_line: r.start.line,
            start_character: None,
            end_line: r.end.line,
            end_character: None,
            kind: Some(match f.kind {
                FoldKind::Comment => FoldingRangeKind::Comment,
                FoldKind::Item | FoldKind::Value => FoldingRangeKind::Region,
            }),
            collapsed_text: None,
        });
    }
    Some(out)
}

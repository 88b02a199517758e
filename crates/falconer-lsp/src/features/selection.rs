//! `textDocument/selectionRange`: for each position, the ranges an
//! "expand selection" goes through: token → comparison → parenthesised
//! group → `and`/`or` chain → condition → YAML value → entry → item.

use crate::state::Snapshot;
use falconer_analysis::ide;
use tower_lsp_server::ls_types::{Range, SelectionRange, SelectionRangeParams};

pub fn selection_ranges(
    snap: &Snapshot,
    params: SelectionRangeParams,
) -> Option<Vec<SelectionRange>> {
    let file = snap.file_id(&params.text_document.uri)?;
    let map = snap.line_map(file);
    Some(
        params
            .positions
            .iter()
            .map(|p| {
                let offset = map.offset(*p);
                let spans = ide::selection_ranges(&snap.analysis, file, offset);
                // Outermost first, each the parent of the next.
                let mut cur: Option<SelectionRange> = None;
                for s in spans.iter().rev() {
                    cur = Some(SelectionRange {
                        range: map.range(*s),
                        parent: cur.map(Box::new),
                    });
                }
                // Every position needs an answer: the position itself.
                cur.unwrap_or(SelectionRange {
                    range: Range::new(*p, *p),
                    parent: None,
                })
            })
            .collect(),
    )
}

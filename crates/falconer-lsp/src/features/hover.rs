//! `textDocument/hover`: fields (type, argument form, description,
//! deprecation), operators, macros (definition text), lists (items and
//! expanded items), rules; and over a diagnostic's range, the summary of
//! its code with how to read the full explanation (`falconer explain`).

use super::diagnostics::docs_link;
use super::file_position;
use crate::state::Snapshot;
use falconer_analysis::{codes, ide};
use std::fmt::Write;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

pub fn hover(snap: &Snapshot, params: HoverParams) -> Option<Hover> {
    let pos = file_position(snap, &params.text_document_position_params)?;
    let h = ide::hover(&snap.analysis, pos);
    // Diagnostics over the position, each code once.
    let mut explained = String::new();
    let mut span = None;
    let mut seen: Vec<&str> = Vec::new();
    for d in snap.analysis.diagnostics().iter() {
        if d.loc.file != pos.file || !d.loc.span.touches(pos.offset) || seen.contains(&d.code) {
            continue;
        }
        seen.push(d.code);
        span = Some(span.map_or(d.loc.span, |s: falconer_text::Span| s.cover(d.loc.span)));
        let Some(info) = codes::lookup(d.code) else {
            continue;
        };
        let _ = write!(explained, "\n\n---\n\n**`{}`**", d.code);
        if let Some(f) = info.falco_code {
            let _ = write!(explained, " (Falco `{f}`)");
        }
        let _ = write!(explained, ": {}", info.summary);
        match docs_link(snap.docs_base_url.as_deref(), d.code) {
            Some(link) => {
                let _ = write!(explained, " [Documentation]({})", link.as_str());
            }
            None => {
                let _ = write!(
                    explained,
                    " Run `falconer explain {}` for the full page.",
                    d.code
                );
            }
        }
    }
    let (markdown, span) = match (h, span) {
        (Some(h), _) => (format!("{}{explained}", h.markdown), h.span),
        (None, Some(s)) => (
            explained
                .trim_start_matches(['\n', '-'])
                .trim_start()
                .to_string(),
            s,
        ),
        (None, None) => return None,
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(snap.line_map(pos.file).range(span)),
    })
}

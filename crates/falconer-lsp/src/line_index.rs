//! Every conversion between byte offsets (what the analysis speaks) and
//! LSP positions (lines and columns in the negotiated encoding) happens
//! here, and the encoding is negotiated once, at `initialize`.

use falconer_text::{Encoding, LineCol, LineIndex, Span};
use tower_lsp_server::ls_types::{ClientCapabilities, Position, PositionEncodingKind, Range};

/// UTF-8 when the client offers it (no conversion at all), else UTF-16,
/// which every client must support.
pub fn negotiate(caps: &ClientCapabilities) -> Encoding {
    let offered = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|v| v.contains(&PositionEncodingKind::UTF8)) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

/// The LSP name of an encoding.
pub fn encoding_kind(enc: Encoding) -> PositionEncodingKind {
    match enc {
        Encoding::Utf8 => PositionEncodingKind::UTF8,
        Encoding::Utf16 => PositionEncodingKind::UTF16,
        Encoding::Chars => PositionEncodingKind::UTF32,
    }
}

/// One text's line index with the negotiated encoding.
pub struct LineMap<'a> {
    text: &'a str,
    index: std::sync::Arc<LineIndex>,
    enc: Encoding,
}

impl<'a> LineMap<'a> {
    pub fn new(text: &'a str, enc: Encoding) -> LineMap<'a> {
        LineMap {
            text,
            index: std::sync::Arc::new(LineIndex::new(text)),
            enc,
        }
    }

    /// The byte offset of one position in `text` (as [`LineMap::offset`]),
    /// without building the text's index: for a single lookup.
    pub fn offset_in(text: &str, pos: Position, enc: Encoding) -> u32 {
        LineIndex::offset_of(text, line_col(pos), enc)
    }

    /// A map over an index already built (the analysis caches one per
    /// file text).
    pub fn with_index(
        text: &'a str,
        index: std::sync::Arc<LineIndex>,
        enc: Encoding,
    ) -> LineMap<'a> {
        LineMap { text, index, enc }
    }

    pub fn position(&self, offset: u32) -> Position {
        let lc = self.index.line_col(self.text, offset, self.enc);
        Position::new(lc.line, lc.col)
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start), self.position(span.end))
    }

    /// The byte offset of a position (clamped to the line's end, and to
    /// the text's end for lines past the last one).
    pub fn offset(&self, pos: Position) -> u32 {
        self.index.offset(self.text, line_col(pos), self.enc)
    }
}

/// An LSP position as a line and column (same units).
fn line_col(pos: Position) -> LineCol {
    LineCol {
        line: pos.line,
        col: pos.character,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_and_utf16_columns_differ_after_non_ascii() {
        // "é" is 2 bytes, 1 UTF-16 unit; "𝄞" is 4 bytes, 2 UTF-16 units.
        let text = "a: é𝄞 proc.name\n";
        let at = text.find("proc").unwrap() as u32;
        let u8 = LineMap::new(text, Encoding::Utf8);
        let u16 = LineMap::new(text, Encoding::Utf16);
        assert_eq!(u8.position(at), Position::new(0, 10));
        assert_eq!(u16.position(at), Position::new(0, 7));
        assert_eq!(u8.offset(Position::new(0, 10)), at);
        assert_eq!(u16.offset(Position::new(0, 7)), at);
        // Past the end of a line: clamped before the line break.
        assert_eq!(u16.offset(Position::new(0, 99)), text.len() as u32 - 1);
        assert_eq!(u16.offset(Position::new(9, 0)), text.len() as u32);
    }
}

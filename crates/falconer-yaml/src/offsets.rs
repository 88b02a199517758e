//! Character index → byte offset conversion.
//!
//! saphyr-parser reports positions ([`saphyr_parser::Marker`]) as indices
//! counted in characters (Unicode scalar values); the tree uses byte
//! offsets. For ASCII text the two are equal. Otherwise we keep the byte
//! offset of every [`STRIDE`]-th character and walk at most `STRIDE - 1`
//! characters from there, which costs 4 bytes per `STRIDE` characters of
//! memory, whatever the text.
//!
//! One saphyr quirk: on a directive line (`%...`) it counts the bytes, not
//! the characters, of names and parameters, so after a directive with
//! non-ASCII text its indices run ahead. Its line and column stay right
//! (the column restarts on each line), so for such texts (rare) we convert
//! from line and column instead.

/// Distance in characters between two checkpoints.
const STRIDE: usize = 64;

pub(crate) struct OffsetMap<'a> {
    text: &'a str,
    ascii: bool,
    /// Byte offset of character `k * STRIDE`.
    checkpoints: Vec<u32>,
    /// Byte offset of each line start, when indices cannot be trusted
    /// (a directive line with non-ASCII text); empty otherwise.
    lines: Vec<u32>,
}

impl<'a> OffsetMap<'a> {
    pub(crate) fn new(text: &'a str) -> OffsetMap<'a> {
        let ascii = text.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(STRIDE)
                .map(|(b, _)| b as u32)
                .collect()
        };
        let lines = if !ascii && has_non_ascii_directive(text) {
            line_starts(text)
        } else {
            Vec::new()
        };
        OffsetMap {
            text,
            ascii,
            checkpoints,
            lines,
        }
    }

    /// Byte offset of a saphyr marker.
    pub(crate) fn marker(&self, m: &saphyr_parser::Marker) -> usize {
        if self.lines.is_empty() {
            return self.byte(m.index());
        }
        let Some(&start) = self.lines.get(m.line().saturating_sub(1)) else {
            return self.text.len();
        };
        let start = start as usize;
        // A byte order mark starting a line takes no column.
        let rest = &self.text[start..];
        let trimmed = rest.trim_start_matches('\u{feff}');
        let base = start + (rest.len() - trimmed.len());
        match trimmed
            .char_indices()
            .take_while(|&(_, c)| c != '\n' && c != '\r')
            .nth(m.col())
        {
            Some((i, _)) => base + i,
            None => {
                // At or past the end of the line.
                let line_len = trimmed.find(['\n', '\r']).unwrap_or(trimmed.len());
                base + line_len
            }
        }
    }

    /// Byte offset of the character with index `char_index` (the text length
    /// for indices at or past the end).
    pub(crate) fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        let Some(&base) = self.checkpoints.get(char_index / STRIDE) else {
            return self.text.len();
        };
        let base = base as usize;
        let rem = char_index % STRIDE;
        match self.text[base..].char_indices().nth(rem) {
            Some((i, _)) => base + i,
            None => self.text.len(),
        }
    }
}

/// A line starting with `%` that holds a non-ASCII character.
fn has_non_ascii_directive(text: &str) -> bool {
    text.split(['\n', '\r'])
        .any(|l| l.trim_start_matches('\u{feff}').starts_with('%') && !l.is_ascii())
}

/// Byte offsets of line starts, lines ending at `\n`, `\r\n` or `\r`.
fn line_starts(text: &str) -> Vec<u32> {
    let b = text.as_bytes();
    let mut out = vec![0];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => out.push(i as u32 + 1),
            b'\r' => {
                if b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                out.push(i as u32 + 1);
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_identity() {
        let m = OffsetMap::new("hello");
        assert_eq!(m.byte(0), 0);
        assert_eq!(m.byte(3), 3);
        assert_eq!(m.byte(99), 5);
    }

    #[test]
    fn non_ascii_matches_char_indices() {
        let text: String = (0..500)
            .map(|i| match i % 5 {
                0 => 'é',
                1 => '中',
                2 => '😀',
                _ => 'a',
            })
            .collect();
        let m = OffsetMap::new(&text);
        for (ci, (b, _)) in text.char_indices().enumerate() {
            assert_eq!(m.byte(ci), b);
        }
        assert_eq!(m.byte(500), text.len());
        assert_eq!(m.byte(10_000), text.len());
    }
}

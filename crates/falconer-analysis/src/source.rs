//! Source maps for texts that Falco builds out of pieces: a macro condition
//! joined from appends, a rule condition with its exceptions folded in, and
//! the result of textual list substitution. Every offset in the built text
//! maps back to a file location.

use crate::diagnostic::{FileId, Loc};
use crate::model::Text;
use falconer_text::Span;
use falconer_yaml::Scalar;
use std::sync::Arc;

/// Where a decoded [`Text`] lies in its file: what [`Text::map`] needs,
/// without the value (a composite holds the value in its own text).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TextPos {
    pub span: Span,
    pub scalar: Option<Arc<Scalar>>,
    pub offset: u32,
    pub base: u32,
}

impl TextPos {
    /// The position of `t`, moved by `delta` bytes.
    pub fn of(t: &Text, delta: u32) -> TextPos {
        TextPos {
            span: t.span.shift(delta),
            scalar: t.scalar.clone(),
            offset: t.offset,
            base: t.base + delta,
        }
    }

    /// [`Text::map`].
    pub fn map(&self, range: Span) -> Span {
        match &self.scalar {
            Some(s) => s.source_span(range.shift(self.offset)).shift(self.base),
            None => self.span,
        }
    }
}

/// Where a run of a built text comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Copied from the value of the text at `pos`, from `offset`.
    Text {
        file: FileId,
        pos: TextPos,
        offset: u32,
    },
    /// Generated glue (parentheses, `and not`...) attributed to a location.
    Synthetic(Loc),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Part {
    pub start: u32,
    pub len: u32,
    pub origin: Origin,
}

/// A text built from pieces, with the map back to the files.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Composite {
    pub text: String,
    pub parts: Vec<Part>,
}

impl Composite {
    pub fn from_text(file: FileId, t: &Text) -> Composite {
        let mut c = Composite::default();
        c.push_text(file, t);
        c
    }

    /// [`Composite::from_text`] taking the text.
    pub fn from_owned(file: FileId, t: Text) -> Composite {
        let mut c = Composite::default();
        c.push_owned(file, t);
        c
    }

    /// [`Composite::push_shifted`] into a new composite.
    pub fn from_shifted(file: FileId, t: &Text, delta: u32) -> Composite {
        let mut c = Composite::default();
        c.push_shifted(file, t, delta);
        c
    }

    /// [`Composite::push_text`] taking the text.
    pub fn push_owned(&mut self, file: FileId, t: Text) {
        self.push_shifted(file, &t, 0);
    }

    /// [`Composite::push_text`] of `t` moved by `delta` bytes (a text read
    /// relative to its chunk of the file).
    pub fn push_shifted(&mut self, file: FileId, t: &Text, delta: u32) {
        let start = self.text.len() as u32;
        self.text.push_str(&t.value);
        self.parts.push(Part {
            start,
            len: t.value.len() as u32,
            origin: Origin::Text {
                file,
                pos: TextPos::of(t, delta),
                offset: 0,
            },
        });
    }

    pub fn push_text(&mut self, file: FileId, t: &Text) {
        self.push_text_slice(file, t, 0, t.value.len() as u32);
    }

    pub fn push_text_slice(&mut self, file: FileId, t: &Text, from: u32, to: u32) {
        let start = self.text.len() as u32;
        self.text.push_str(&t.value[from as usize..to as usize]);
        self.parts.push(Part {
            start,
            len: to - from,
            origin: Origin::Text {
                file,
                pos: TextPos::of(t, 0),
                offset: from,
            },
        });
    }

    pub fn push_glue(&mut self, s: &str, loc: Loc) {
        if s.is_empty() {
            return;
        }
        let start = self.text.len() as u32;
        self.text.push_str(s);
        self.parts.push(Part {
            start,
            len: s.len() as u32,
            origin: Origin::Synthetic(loc),
        });
    }

    /// [`Composite::push_glue`] of the concatenation of `pieces`, as one
    /// part.
    pub fn push_glue_join(&mut self, pieces: &[&str], loc: Loc) {
        let start = self.text.len() as u32;
        for p in pieces {
            self.text.push_str(p);
        }
        let len = self.text.len() as u32 - start;
        if len > 0 {
            self.parts.push(Part {
                start,
                len,
                origin: Origin::Synthetic(loc),
            });
        }
    }

    /// Maps a range of the built text to a file location: exact when the
    /// range lies in one copied part, else the cover of the parts it spans
    /// within the first part's file.
    pub fn map(&self, range: Span) -> Loc {
        let mut result: Option<Loc> = None;
        for p in &self.parts {
            let pend = p.start + p.len;
            let touches = if range.is_empty() {
                p.start <= range.start && range.start <= pend
            } else {
                p.start < range.end && range.start < pend
            };
            if !touches {
                continue;
            }
            let loc = match &p.origin {
                Origin::Text { file, pos, offset } => {
                    let s = range.start.max(p.start) - p.start + offset;
                    let e = range.end.min(pend).max(range.start.max(p.start)) - p.start + offset;
                    Loc {
                        file: *file,
                        span: pos.map(Span::new(s, e)),
                    }
                }
                Origin::Synthetic(l) => *l,
            };
            result = Some(match result {
                None => loc,
                Some(r) if r.file == loc.file => Loc {
                    file: r.file,
                    span: r.span.cover(loc.span),
                },
                Some(r) => r,
            });
            if range.is_empty() {
                break;
            }
        }
        result.unwrap_or_else(|| self.end_loc())
    }

    /// The location of the end of the text.
    pub fn end_loc(&self) -> Loc {
        match self.parts.last() {
            Some(Part {
                len,
                origin: Origin::Text { file, pos, offset },
                ..
            }) => Loc {
                file: *file,
                span: pos.map(Span::empty(offset + len)),
            },
            Some(Part {
                origin: Origin::Synthetic(l),
                ..
            }) => *l,
            None => Loc {
                file: 0,
                span: Span::empty(0),
            },
        }
    }
}

/// A segment of a rewritten text: output bytes `out` come from input bytes
/// `orig`; when `copied`, byte for byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Seg {
    pub out: Span,
    pub orig: Span,
    pub copied: bool,
}

/// Map from a rewritten text back to the text it was made from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct RewriteMap {
    pub segs: Vec<Seg>,
}

impl RewriteMap {
    pub fn identity(len: u32) -> RewriteMap {
        RewriteMap {
            segs: vec![Seg {
                out: Span::new(0, len),
                orig: Span::new(0, len),
                copied: true,
            }],
        }
    }

    /// Maps an output range to the input range it came from.
    pub fn map(&self, range: Span) -> Span {
        let mut res: Option<Span> = None;
        for s in &self.segs {
            let touches = if range.is_empty() {
                s.out.start <= range.start && range.start <= s.out.end
            } else {
                s.out.start < range.end && range.start < s.out.end
            };
            if !touches {
                continue;
            }
            let piece = if s.copied {
                let a = range.start.max(s.out.start) - s.out.start + s.orig.start;
                let b = range.end.min(s.out.end).max(range.start.max(s.out.start)) - s.out.start
                    + s.orig.start;
                Span::new(a, b)
            } else {
                s.orig
            };
            res = Some(match res {
                None => piece,
                Some(r) => r.cover(piece),
            });
            if range.is_empty() {
                break;
            }
        }
        res.unwrap_or_else(|| {
            let end = self.segs.last().map(|s| s.orig.end).unwrap_or(0);
            Span::empty(end)
        })
    }
}

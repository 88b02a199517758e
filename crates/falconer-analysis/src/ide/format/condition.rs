//! The layout of one condition string. Only blanks change: every token of
//! the text is kept, in order, byte for byte.
//!
//! * The text is cut into tokens (words, quoted strings, `(`, `)`, `,`
//!   and the symbol operators `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`) and
//!   the blank runs between them (gaps).
//! * Each gap gets its canonical form: nothing after `(`, before `)` and
//!   `,` and between a transformer name and its `(`; one space elsewhere.
//! * Falco substitutes lists textually, word by word (a word being a run
//!   of bytes between blanks, `(`, `)`, `,` and `=`, see `lists.rs`): a
//!   gap may become empty or non-empty only next to one of those
//!   delimiters, otherwise two words would be joined or one split. Such a
//!   gap keeps its emptiness (a symbol operator's two gaps change together
//!   or not at all, so `a<b` stays `a<b` rather than `a< b`).
//! * The boolean structure comes from the parse: leaves (checks and macro
//!   references), `and`/`or` keywords, `not` and grouping parentheses. A
//!   condition wider than the width is broken before the `or`s of its
//!   outermost level (then before the `and`s, an `and` chain inside an
//!   `or` operand being indented one step), and a parenthesised operand
//!   that still does not fit opens its group: `(` ends the line, the
//!   contents come one step in, `)` gets its own line.
//!
//! The result is checked by the caller (same tree, same words); a
//! condition that does not parse is never laid out.

use crate::lists::is_delim;
use falconer_syntax::{parse_condition, Expr};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    Comma,
    /// `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Op,
    Quoted,
    Word,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    start: usize,
    end: usize,
    kind: Kind,
}

/// Blank bytes that separate tokens (the parser's blanks that are also
/// list-substitution delimiters; a backspace stays inside its word).
pub(crate) fn is_gap_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

const CALLS: [&str; 9] = [
    "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt", "val",
];

/// One line of a layout: indentation (in columns, relative to the
/// condition's first line) and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub indent: usize,
    pub text: String,
}

/// A parsed, tokenised condition ready to be laid out.
pub struct Cond<'a> {
    text: &'a str,
    toks: Vec<Tok>,
    /// Canonical text of gap `i` (between tokens `i` and `i + 1`).
    gaps: Vec<&'static str>,
    tree: Vec<Node>,
}

#[derive(Clone, Debug)]
enum Node {
    /// Tokens `first..=last` of one check or macro reference.
    Leaf { first: usize, last: usize },
    /// An `and`/`or` keyword.
    Kw(usize),
    /// A `not` prefix.
    Not(usize),
    /// Grouping parentheses.
    Group {
        open: usize,
        close: usize,
        body: Vec<Node>,
    },
}

impl Node {
    fn first(&self) -> usize {
        match self {
            Node::Leaf { first, .. } => *first,
            Node::Kw(t) | Node::Not(t) => *t,
            Node::Group { open, .. } => *open,
        }
    }
    fn last(&self) -> usize {
        match self {
            Node::Leaf { last, .. } => *last,
            Node::Kw(t) | Node::Not(t) => *t,
            Node::Group { close, .. } => *close,
        }
    }
}

fn scan_quoted(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == q && b[j - 1] != b'\\' {
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// `[` ... `]` of a field argument, from the `[` at `i`; returns the end.
fn scan_bracket(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
        j = scan_quoted(b, j);
    } else {
        while j < b.len() && !matches!(b[j], b'[' | b']' | b'"' | b'\'') && !is_gap_byte(b[j]) {
            j += 1;
        }
    }
    if j < b.len() && b[j] == b']' {
        j += 1;
    }
    j
}

fn tokenize(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let (end, kind) = match c {
            _ if is_gap_byte(c) => {
                i += 1;
                continue;
            }
            b'(' => (i + 1, Kind::Open),
            b')' => (i + 1, Kind::Close),
            b',' => (i + 1, Kind::Comma),
            b'"' | b'\'' => (scan_quoted(b, i), Kind::Quoted),
            b'=' | b'<' | b'>' => (i + 1 + usize::from(next == Some(b'=')), Kind::Op),
            b'!' if next == Some(b'=') => (i + 2, Kind::Op),
            _ => {
                let mut j = i;
                while j < b.len() {
                    let d = b[j];
                    if is_gap_byte(d)
                        || matches!(d, b'(' | b')' | b',' | b'"' | b'\'' | b'=' | b'<' | b'>')
                        || (d == b'!' && b.get(j + 1) == Some(&b'='))
                    {
                        break;
                    }
                    j = if d == b'[' { scan_bracket(b, j) } else { j + 1 };
                }
                (j, Kind::Word)
            }
        };
        toks.push(Tok {
            start: i,
            end,
            kind,
        });
        i = end;
    }
    toks
}

/// Leaf spans and keyword positions of a parsed tree.
fn collect(expr: &Expr, leaves: &mut Vec<(usize, usize)>, kws: &mut Vec<(usize, usize, bool)>) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                let is_and = matches!(e, Expr::And { .. });
                for w in children.windows(2) {
                    let (a, b) = (w[0].span(), w[1].span());
                    kws.push((a.end as usize, b.start as usize, is_and));
                }
                stack.extend(children.iter());
            }
            Expr::Not { child, .. } => stack.push(child),
            other => {
                let s = other.span();
                leaves.push((s.start as usize, s.end as usize));
            }
        }
    }
}

impl<'a> Cond<'a> {
    /// Tokenises and parses `text`; `None` when it does not parse or its
    /// structure is not the plain shape this module lays out (the caller
    /// then leaves the condition as it is).
    pub fn new(text: &'a str) -> Option<Cond<'a>> {
        let parsed = parse_condition(text);
        if !parsed.errors.is_empty() {
            return None;
        }
        let expr = parsed.expr.as_ref()?;
        let toks = tokenize(text);
        if toks.is_empty() {
            return None;
        }
        let mut leaves = Vec::new();
        let mut kws = Vec::new();
        collect(expr, &mut leaves, &mut kws);
        leaves.sort_unstable();
        // Which leaf each token belongs to (usize::MAX: structural).
        let mut owner = vec![usize::MAX; toks.len()];
        for (ti, t) in toks.iter().enumerate() {
            let k = leaves.partition_point(|l| l.1 <= t.start);
            if let Some(&(s, e)) = leaves.get(k) {
                if s <= t.start && t.end <= e {
                    owner[ti] = k;
                } else if s < t.end {
                    // A token crosses a leaf's edge (`a.b existsand c`).
                    return None;
                }
            }
        }
        let mut is_kw = vec![false; toks.len()];
        for (from, to, is_and) in kws {
            let word = if is_and { "and" } else { "or" };
            // Tokens are in text order: look only between the two children.
            let first = toks.partition_point(|t| t.start < from);
            let found: Vec<usize> = (first..toks.len())
                .take_while(|&i| toks[i].end <= to)
                .filter(|&i| {
                    let t = toks[i];
                    t.kind == Kind::Word && &text[t.start..t.end] == word
                })
                .collect();
            match found.as_slice() {
                [i] => is_kw[*i] = true,
                _ => return None,
            }
        }
        let tree = build_tree(text, &toks, &owner, &is_kw)?;
        let mut c = Cond {
            text,
            toks,
            gaps: Vec::new(),
            tree,
        };
        c.gaps = c.canonical_gaps();
        Some(c)
    }

    fn tok(&self, i: usize) -> &'a str {
        let t = self.toks[i];
        &self.text[t.start..t.end]
    }

    fn canonical_gaps(&self) -> Vec<&'static str> {
        let n = self.toks.len();
        let b = self.text.as_bytes();
        let mut gaps: Vec<&'static str> = Vec::with_capacity(n.saturating_sub(1));
        // Whether the gap may change its emptiness.
        let mut free = Vec::with_capacity(n.saturating_sub(1));
        let mut orig = Vec::with_capacity(n.saturating_sub(1));
        for i in 0..n.saturating_sub(1) {
            let (a, c) = (self.toks[i], self.toks[i + 1]);
            let want = match (a.kind, c.kind) {
                (Kind::Open, _) | (_, Kind::Close) | (_, Kind::Comma) => "",
                (Kind::Comma, _) => " ",
                (Kind::Word, Kind::Open) if CALLS.contains(&self.tok(i)) => "",
                (Kind::Close, Kind::Word) if self.tok(i + 1).starts_with('[') => "",
                _ => " ",
            };
            let was = if a.end == c.start { "" } else { " " };
            let ok =
                want.is_empty() == was.is_empty() || is_delim(b[a.end - 1]) || is_delim(b[c.start]);
            gaps.push(if ok { want } else { was });
            free.push(ok);
            orig.push(was);
        }
        // A symbol operator's gaps change together.
        for i in 0..n {
            if self.toks[i].kind != Kind::Op || i == 0 || i + 1 == n {
                continue;
            }
            if !(free[i - 1] && free[i]) {
                gaps[i - 1] = orig[i - 1];
                gaps[i] = orig[i];
            }
        }
        gaps
    }

    /// Display width of tokens `from..=to` on one line.
    fn width(&self, from: usize, to: usize) -> usize {
        let mut w = 0;
        for i in from..=to {
            w += self.tok(i).chars().count();
            if i < to {
                w += self.gaps[i].len();
            }
        }
        w
    }

    /// The condition on one line.
    pub fn flat(&self) -> String {
        self.render(&vec![None; self.gaps.len()])
            .pop()
            .map(|l| l.text)
            .unwrap_or_default()
    }

    /// The layout within `width` columns (counted from the condition's
    /// first column), nesting by `step` columns.
    pub fn layout(&self, width: usize, step: usize) -> Vec<Line> {
        let mut lay = Lay {
            c: self,
            brk: vec![None; self.gaps.len()],
            width,
            step,
        };
        lay.chain(&self.tree, 0, 0);
        self.render(&lay.brk)
    }

    fn render(&self, brk: &[Option<usize>]) -> Vec<Line> {
        let mut lines = vec![Line {
            indent: 0,
            text: String::new(),
        }];
        for i in 0..self.toks.len() {
            if i > 0 {
                match brk[i - 1] {
                    Some(ind) => lines.push(Line {
                        indent: ind,
                        text: String::new(),
                    }),
                    None => lines.last_mut().unwrap().text.push_str(self.gaps[i - 1]),
                }
            }
            lines.last_mut().unwrap().text.push_str(self.tok(i));
        }
        lines
    }
}

/// Builds the boolean structure from the tokens; `None` when the tokens
/// outside leaves are not only parentheses, keywords and `not`.
fn build_tree(text: &str, toks: &[Tok], owner: &[usize], is_kw: &[bool]) -> Option<Vec<Node>> {
    let mut stack: Vec<(usize, Vec<Node>)> = vec![(usize::MAX, Vec::new())];
    for (i, t) in toks.iter().enumerate() {
        let level = &mut stack.last_mut()?.1;
        if owner[i] != usize::MAX {
            if let Some(Node::Leaf { last, .. }) = level.last_mut() {
                if *last + 1 == i && owner[*last] == owner[i] {
                    *last = i;
                    continue;
                }
            }
            level.push(Node::Leaf { first: i, last: i });
            continue;
        }
        match t.kind {
            Kind::Open => stack.push((i, Vec::new())),
            Kind::Close => {
                let (open, body) = stack.pop()?;
                if open == usize::MAX || body.is_empty() {
                    return None;
                }
                stack.last_mut()?.1.push(Node::Group {
                    open,
                    close: i,
                    body,
                });
            }
            Kind::Word if is_kw[i] => level.push(Node::Kw(i)),
            Kind::Word if &text[t.start..t.end] == "not" => level.push(Node::Not(i)),
            _ => return None,
        }
    }
    if stack.len() != 1 {
        return None;
    }
    let top = stack.pop()?.1;
    if !well_formed(&top) {
        return None;
    }
    Some(top)
}

/// operand (Kw operand)*, operand = Not* (Leaf | Group), at every level.
fn well_formed(nodes: &[Node]) -> bool {
    let mut want_operand = true;
    for n in nodes {
        match n {
            Node::Not(_) if want_operand => {}
            Node::Leaf { .. } if want_operand => want_operand = false,
            Node::Group { body, .. } if want_operand => {
                if !well_formed(body) {
                    return false;
                }
                want_operand = false;
            }
            Node::Kw(_) if !want_operand => want_operand = true,
            _ => return false,
        }
    }
    !want_operand
}

/// Line-break decisions: `brk[g]` is the indentation of the line that
/// starts after gap `g`, for gaps that become line breaks.
struct Lay<'c, 'a> {
    c: &'c Cond<'a>,
    brk: Vec<Option<usize>>,
    width: usize,
    step: usize,
}

/// One operand of a chain and the keyword before it.
struct Operand<'n> {
    kw: Option<usize>,
    nodes: &'n [Node],
}

fn operands(nodes: &[Node]) -> Vec<Operand<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut kw = None;
    for (i, n) in nodes.iter().enumerate() {
        if let Node::Kw(t) = n {
            out.push(Operand {
                kw,
                nodes: &nodes[start..i],
            });
            kw = Some(*t);
            start = i + 1;
        }
    }
    out.push(Operand {
        kw,
        nodes: &nodes[start..],
    });
    out
}

impl Lay<'_, '_> {
    fn fits(&self, from: usize, to: usize, ind: usize) -> bool {
        ind + self.c.width(from, to) <= self.width
    }

    /// Whether a line may break before keyword token `kw`.
    fn breakable(&self, kw: usize) -> bool {
        kw > 0 && !self.c.gaps[kw - 1].is_empty()
    }

    /// Lays out one level whose first line starts at token `from`
    /// (a keyword or `(` before `nodes`, or their first token) at `ind`.
    fn chain(&mut self, nodes: &[Node], from: usize, ind: usize) {
        let Some(last) = nodes.last().map(Node::last) else {
            return;
        };
        if self.fits(from, last, ind) {
            return;
        }
        let ops = operands(nodes);
        if ops.len() == 1 {
            self.operand(ops[0].nodes, from, ind);
            return;
        }
        if ops
            .iter()
            .skip(1)
            .any(|o| !self.breakable(o.kw.unwrap_or(0)))
        {
            return;
        }
        let is_or = |o: &Operand| o.kw.is_some_and(|k| self.c.tok(k) == "or");
        if ops.iter().any(is_or) {
            // Segments between `or`s; each an `and` chain.
            let mut segs: Vec<Vec<Operand>> = Vec::new();
            for o in ops {
                if is_or(&o) || segs.is_empty() {
                    segs.push(Vec::new());
                }
                segs.last_mut().unwrap().push(o);
            }
            for (k, seg) in segs.iter().enumerate() {
                let start = if k == 0 {
                    from
                } else {
                    let kw = seg[0].kw.unwrap_or(0);
                    self.brk[kw - 1] = Some(ind);
                    kw
                };
                self.and_chain(seg, start, ind, ind + self.step);
            }
        } else {
            self.and_chain(&ops, from, ind, ind);
        }
    }

    fn and_chain(&mut self, ops: &[Operand], from: usize, ind: usize, cont: usize) {
        let Some(last) = ops.last().and_then(|o| o.nodes.last()).map(Node::last) else {
            return;
        };
        if self.fits(from, last, ind) {
            return;
        }
        for (k, o) in ops.iter().enumerate() {
            if k == 0 {
                self.operand(o.nodes, from, ind);
            } else {
                let kw = o.kw.unwrap_or(0);
                self.brk[kw - 1] = Some(cont);
                self.operand(o.nodes, kw, cont);
            }
        }
    }

    fn operand(&mut self, nodes: &[Node], from: usize, ind: usize) {
        let Some(last) = nodes.last() else { return };
        if self.fits(from, last.last(), ind) {
            return;
        }
        match last {
            Node::Group { open, close, body } => {
                self.brk[*open] = Some(ind + self.step);
                self.brk[*close - 1] = Some(ind);
                let first = body.first().map_or(*open + 1, Node::first);
                self.chain(body, first, ind + self.step);
            }
            Node::Leaf { first, last } => self.fill(from, *first, *last, ind),
            _ => {}
        }
    }

    /// Fills a check too wide for its line (a long list literal): breaks
    /// after the commas where the next item would not fit, continuing one
    /// step in.
    fn fill(&mut self, from: usize, first: usize, last: usize, ind: usize) {
        let commas: Vec<usize> = (first..last)
            .filter(|&i| self.c.toks[i].kind == Kind::Comma && !self.c.gaps[i].is_empty())
            .collect();
        let Some(&c0) = commas.first() else { return };
        let cont = ind + self.step;
        let mut w = ind + self.c.width(from, c0);
        for (k, &c) in commas.iter().enumerate() {
            let end = commas.get(k + 1).copied().unwrap_or(last);
            let chunk = self.c.width(c + 1, end);
            if w + self.c.gaps[c].len() + chunk > self.width && w > cont {
                self.brk[c] = Some(cont);
                w = cont + chunk;
            } else {
                w += self.c.gaps[c].len() + chunk;
            }
        }
    }
}

/// The words Falco's list substitution sees (runs between delimiters).
pub(crate) fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_ascii() && is_delim(c as u8))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The text without its gap bytes.
pub(crate) fn non_blank(text: &str) -> String {
    text.chars()
        .filter(|c| !(c.is_ascii() && is_gap_byte(*c as u8)))
        .collect()
}

/// Whether two condition texts mean the same to Falco: equal, or both
/// parse to the same tree and differ only in blanks that do not change
/// the words list substitution sees.
pub fn equivalent(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if non_blank(a) != non_blank(b) || words(a) != words(b) {
        return false;
    }
    let (pa, pb) = (parse_condition(a), parse_condition(b));
    if !pa.errors.is_empty() || !pb.errors.is_empty() {
        return false;
    }
    match (&pa.expr, &pb.expr) {
        (Some(x), Some(y)) => {
            falconer_syntax::without_spans(x) == falconer_syntax::without_spans(y)
        }
        _ => false,
    }
}

//! `fnmatch(3)` as glibc implements it with no flags (`glob`) or with
//! `FNM_CASEFOLD` (`iglob`), which is what libsinsp calls: the pattern
//! must match the whole value, `*` matches any bytes including `/` and a
//! leading `.`, `?` one byte, `[...]` / `[!...]` / `[^...]` a byte class
//! (ranges, POSIX `[:class:]` names, a leading `]` is literal), and a
//! backslash makes the next byte literal (a trailing backslash never
//! matches). An unterminated `[` is an ordinary byte. Bytes, not
//! characters: Falco runs in the C locale.
//!
//! Matching is iterative with one backtracking point per `*` (the classic
//! greedy-with-restart algorithm), so it is linear in practice and never
//! recursive.

/// Whether `text` matches the glob `pattern` (whole value).
pub fn glob_match(pattern: &[u8], text: &[u8], casefold: bool) -> bool {
    let fold = |b: u8| if casefold { b.to_ascii_lowercase() } else { b };
    let mut p = 0;
    let mut t = 0;
    // Where to resume after the last `*`: (pattern index after the star,
    // text index the star currently stops at).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    // Consecutive stars are one star.
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, t));
                    continue;
                }
                b'?' => {
                    if t < text.len() {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                b'[' => match bracket(pattern, p, text.get(t).copied(), casefold) {
                    Bracket::Matched(next) => {
                        p = next;
                        t += 1;
                        continue;
                    }
                    Bracket::NoMatch => {}
                    Bracket::Literal => {
                        if t < text.len() && fold(text[t]) == b'[' {
                            p += 1;
                            t += 1;
                            continue;
                        }
                    }
                },
                b'\\' => {
                    // A trailing backslash never matches.
                    if p + 1 < pattern.len()
                        && t < text.len()
                        && fold(pattern[p + 1]) == fold(text[t])
                    {
                        p += 2;
                        t += 1;
                        continue;
                    }
                    if p + 1 >= pattern.len() {
                        return false;
                    }
                }
                c => {
                    if t < text.len() && fold(c) == fold(text[t]) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        } else if t == text.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more byte.
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

enum Bracket {
    /// The class matched the byte; the pattern continues at this index.
    Matched(usize),
    NoMatch,
    /// The `[` is not closed: it is an ordinary byte.
    Literal,
}

/// Evaluates the bracket expression starting at `pattern[start] == '['`
/// against byte `c` (`None` at the end of the text).
fn bracket(pattern: &[u8], start: usize, c: Option<u8>, casefold: bool) -> Bracket {
    let mut i = start + 1;
    let negate = matches!(pattern.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let fold = |b: u8| if casefold { b.to_ascii_lowercase() } else { b };
    let mut matched = false;
    let mut first = true;
    loop {
        let Some(&b) = pattern.get(i) else {
            return Bracket::Literal;
        };
        if b == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        // A character class name.
        if b == b'[' && pattern.get(i + 1) == Some(&b':') {
            if let Some(len) = pattern[i + 2..].windows(2).position(|w| w == b":]") {
                let name = &pattern[i + 2..i + 2 + len];
                if let Some(c) = c {
                    if class_matches(name, c, casefold) {
                        matched = true;
                    }
                }
                i += 2 + len + 2;
                continue;
            }
        }
        let (lo, next) = if b == b'\\' {
            match pattern.get(i + 1) {
                Some(&e) => (e, i + 2),
                None => return Bracket::Literal,
            }
        } else {
            (b, i + 1)
        };
        i = next;
        // A range `lo-hi` (a `-` before `]` is literal).
        if pattern.get(i) == Some(&b'-') && pattern.get(i + 1).is_some_and(|&h| h != b']') {
            let (hi, after) = if pattern[i + 1] == b'\\' {
                match pattern.get(i + 2) {
                    Some(&e) => (e, i + 3),
                    None => return Bracket::Literal,
                }
            } else {
                (pattern[i + 1], i + 2)
            };
            i = after;
            if let Some(c) = c {
                let in_range = |x: u8| lo <= x && x <= hi;
                if in_range(c)
                    || (casefold
                        && (in_range(c.to_ascii_lowercase()) || in_range(c.to_ascii_uppercase())))
                {
                    matched = true;
                }
            }
            continue;
        }
        if let Some(c) = c {
            if fold(lo) == fold(c) {
                matched = true;
            }
        }
    }
    match c {
        Some(_) if matched != negate => Bracket::Matched(i),
        _ => Bracket::NoMatch,
    }
}

fn class_matches(name: &[u8], c: u8, casefold: bool) -> bool {
    match name {
        b"alnum" => c.is_ascii_alphanumeric(),
        b"alpha" => c.is_ascii_alphabetic(),
        b"blank" => c == b' ' || c == b'\t',
        b"cntrl" => c.is_ascii_control(),
        b"digit" => c.is_ascii_digit(),
        b"graph" => c.is_ascii_graphic(),
        b"lower" => c.is_ascii_lowercase() || (casefold && c.is_ascii_uppercase()),
        b"print" => c.is_ascii_graphic() || c == b' ',
        b"punct" => c.is_ascii_punctuation(),
        b"space" => matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'),
        b"upper" => c.is_ascii_uppercase() || (casefold && c.is_ascii_lowercase()),
        b"xdigit" => c.is_ascii_hexdigit(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn g(p: &str, t: &str) -> bool {
        glob_match(p.as_bytes(), t.as_bytes(), false)
    }

    #[test]
    fn stars_cross_slashes_and_dots() {
        assert!(g("/etc/*", "/etc/ssh/sshd_config"));
        assert!(g("*", ".hidden"));
        assert!(g("/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key"));
        assert!(!g(
            "/etc/ssh/ssh_host_*_key",
            "/etc/ssh/ssh_host_rsa_key.pub"
        ));
        assert!(g("a*b*c", "aXXbYYbZZc"));
        assert!(!g("a*b*c", "aXXbYYbZZ"));
        assert!(g("**a", "a"));
        assert!(g("", ""));
        assert!(!g("", "a"));
    }

    #[test]
    fn question_marks_and_escapes() {
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("a\\*c", "a*c"));
        assert!(!g("a\\*c", "abc"));
        assert!(!g("a\\", "a\\"));
        assert!(g("a\\b", "ab"));
    }

    #[test]
    fn brackets() {
        assert!(g("[abc]", "b"));
        assert!(!g("[abc]", "d"));
        assert!(g("[!abc]", "d"));
        assert!(g("[^abc]", "d"));
        assert!(g("[a-c]x", "bx"));
        assert!(g("[]]", "]"));
        assert!(g("[!]]", "a"));
        assert!(g("[a-]", "-"));
        assert!(g("[[:digit:]]*", "7up"));
        assert!(!g("[[:digit:]]*", "up"));
        assert!(g("[", "["));
        assert!(g("a[b", "a[b"));
        assert!(!g("[a]", ""));
    }

    #[test]
    fn casefold() {
        assert!(glob_match(b"*.EXE", b"x.exe", true));
        assert!(glob_match(b"[A-C]", b"b", true));
        assert!(!glob_match(b"*.EXE", b"x.exe", false));
    }
}

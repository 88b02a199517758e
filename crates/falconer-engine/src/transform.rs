//! Field transformers (LANGUAGE.md A.10, B.5, F): `tolower`, `toupper`,
//! `b64` (decoding), `basename`, `len`, `join`, `concat`, `getopt`, with
//! libsinsp's value semantics. Each returns `false` when the extraction
//! fails (a `b64` value that does not decode, a missing input), which the
//! evaluator treats as "no value".

use falconer_catalog::ParsedValue;

use crate::value::cstr;

/// The bytes of a string or buffer value with trailing NULs removed, as
/// libsinsp's string transformers see them.
fn text_of(v: &ParsedValue) -> Option<&[u8]> {
    match v {
        ParsedValue::Str(b) | ParsedValue::Bytes(b) => {
            let mut n = b.len();
            while n > 0 && b[n - 1] == 0 {
                n -= 1;
            }
            Some(&b[..n])
        }
        _ => None,
    }
}

fn rewrap(like: &ParsedValue, bytes: Vec<u8>) -> ParsedValue {
    match like {
        ParsedValue::Bytes(_) => ParsedValue::Bytes(bytes),
        _ => ParsedValue::Str(bytes),
    }
}

/// Applies a byte-string transformer to every value in place.
fn map_strings(values: &mut [ParsedValue], f: impl Fn(&[u8]) -> Option<Vec<u8>>) -> bool {
    for v in values.iter_mut() {
        let Some(t) = text_of(v) else { return false };
        let Some(out) = f(t) else { return false };
        *v = rewrap(v, out);
    }
    true
}

pub fn tolower(values: &mut [ParsedValue]) -> bool {
    map_strings(values, |t| Some(t.to_ascii_lowercase()))
}

pub fn toupper(values: &mut [ParsedValue]) -> bool {
    map_strings(values, |t| Some(t.to_ascii_uppercase()))
}

pub fn basename(values: &mut [ParsedValue]) -> bool {
    map_strings(values, |t| {
        let start = t.iter().rposition(|b| *b == b'/').map_or(0, |p| p + 1);
        Some(t[start..].to_vec())
    })
}

pub fn b64(values: &mut [ParsedValue]) -> bool {
    map_strings(values, b64_decode)
}

/// `len`: the element count of a list, the length of a string up to its
/// first NUL, the length of a byte buffer.
pub fn len(values: &mut Vec<ParsedValue>, input_is_list: bool) -> bool {
    let n = if input_is_list {
        values.len() as u64
    } else {
        match values.first() {
            Some(ParsedValue::Str(b)) => cstr(b).len() as u64,
            Some(ParsedValue::Bytes(b)) => b.len() as u64,
            _ => return false,
        }
    };
    values.clear();
    values.push(ParsedValue::Uint(n));
    true
}

/// Base64 decoding as libsinsp's `decodeWithoutPadding`: the standard
/// alphabet, at most two trailing `=`, unused bits of the last character
/// must be zero, and a length of 1 modulo 4 is invalid.
pub fn b64_decode(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return Some(Vec::new());
    }
    let mut n = input.len();
    if input[n - 1] == b'=' {
        n -= 1;
        if n > 0 && input[n - 1] == b'=' {
            n -= 1;
        }
    }
    if n == 0 {
        return None;
    }
    let mut max_length = n.div_ceil(4) * 3;
    if n % 4 == 3 {
        max_length -= 1;
    }
    if n % 4 == 2 {
        max_length -= 2;
    }
    let dec = |c: u8| -> Option<u8> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out: Vec<u8> = Vec::with_capacity(max_length);
    let last = n - 1;
    for (i, &ch) in input[..last].iter().enumerate() {
        let c = dec(ch)?;
        match i % 4 {
            0 => out.push(c << 2),
            1 => {
                *out.last_mut()? |= c >> 4;
                out.push(c << 4);
            }
            2 => {
                *out.last_mut()? |= c >> 2;
                out.push(c << 6);
            }
            _ => *out.last_mut()? |= c,
        }
    }
    let c = dec(input[last])?;
    match last % 4 {
        0 => return None,
        1 => {
            *out.last_mut()? |= c >> 4;
            if c & 0b1111 != 0 {
                return None;
            }
        }
        2 => {
            *out.last_mut()? |= c >> 2;
            if c & 0b11 != 0 {
                return None;
            }
        }
        _ => *out.last_mut()? |= c,
    }
    (out.len() == max_length).then_some(out)
}

/// `join(sep, list)`: the list's values (as C strings) joined by the first
/// value of `sep`.
pub fn join(sep: &[ParsedValue], list: &[ParsedValue]) -> Option<ParsedValue> {
    let sep = text_of(sep.first()?)?;
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        out.extend_from_slice(cstr(text_of(v)?));
        if i + 1 != list.len() {
            out.extend_from_slice(sep);
        }
    }
    Some(ParsedValue::Str(out))
}

/// `concat(a, b, ...)`: the first value of each argument, as C strings.
pub fn concat<'a>(args: impl Iterator<Item = &'a [ParsedValue]>) -> Option<ParsedValue> {
    let mut out = Vec::new();
    for a in args {
        out.extend_from_slice(cstr(text_of(a.first()?)?));
    }
    Some(ParsedValue::Str(out))
}

/// `getopt(argv, optstring)[c]` with libsinsp's rules: scanning stops at
/// `--` and at the first non-option word, long options are skipped,
/// clusters (`-nt`) are expanded, an option taking an argument takes the
/// rest of its word or the next word. Without a selector the result is
/// the list of options (unknown ones as `?`) each followed by its
/// argument; with `[c]` it is the last argument (or the option itself) of
/// `c`, and the extraction fails when `c` is absent.
pub fn getopt(
    argv: &[ParsedValue],
    optstring: &[ParsedValue],
    select: Option<u8>,
) -> Option<Vec<ParsedValue>> {
    let opts = text_of(optstring.first()?)?;
    let mut valid = [false; 256];
    let mut with_arg = [false; 256];
    let start = usize::from(opts.first() == Some(&b':'));
    let mut i = start;
    while i < opts.len() {
        let o = opts[i];
        if o != b':' {
            valid[o as usize] = true;
            if opts.get(i + 1) == Some(&b':') {
                with_arg[o as usize] = true;
                i += 1;
            }
        }
        i += 1;
    }
    let words: Vec<&[u8]> = argv.iter().map(text_of).collect::<Option<_>>()?;
    let mut results: Vec<Vec<u8>> = Vec::new();
    let mut selected: Option<Vec<u8>> = None;
    let mut emit = |name: &[u8], value: Option<&[u8]>, results: &mut Vec<Vec<u8>>| {
        if select.is_some() {
            selected = Some(value.unwrap_or(name).to_vec());
        } else {
            results.push(name.to_vec());
            if let Some(v) = value {
                results.push(v.to_vec());
            }
        }
    };
    let mut w = 0;
    'words: while w < words.len() {
        let arg = words[w];
        if arg == b"--" {
            break;
        }
        if arg.len() > 2 && arg.starts_with(b"--") {
            w += 1;
            continue;
        }
        if arg.is_empty() || arg[0] != b'-' || arg.len() == 1 {
            break;
        }
        let mut k = 1;
        while k < arg.len() {
            let opt = arg[k];
            if opt == b':' || !valid[opt as usize] {
                if select.is_none() {
                    results.push(b"?".to_vec());
                }
                k += 1;
                continue;
            }
            let matches = select.is_none_or(|s| s == opt);
            let name = &arg[k..k + 1];
            if !with_arg[opt as usize] {
                if matches {
                    emit(name, None, &mut results);
                }
                k += 1;
                continue;
            }
            let value: Option<&[u8]> = if k + 1 < arg.len() {
                Some(&arg[k + 1..])
            } else if w + 1 < words.len() {
                w += 1;
                Some(words[w])
            } else {
                None
            };
            match value {
                None => {
                    if matches {
                        emit(b"", None, &mut results);
                    }
                    break 'words;
                }
                Some(v) => {
                    if matches {
                        emit(name, Some(v), &mut results);
                    }
                    break;
                }
            }
        }
        w += 1;
    }
    if select.is_some() {
        return selected.map(|s| vec![ParsedValue::Str(s)]);
    }
    Some(results.into_iter().map(ParsedValue::Str).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> ParsedValue {
        ParsedValue::Str(x.as_bytes().to_vec())
    }

    fn strs(v: &[ParsedValue]) -> Vec<String> {
        v.iter()
            .map(|x| match x {
                ParsedValue::Str(b) => String::from_utf8_lossy(b).into_owned(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn base64_like_libsinsp() {
        assert_eq!(b64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(b64_decode(b"aGVsbG8").unwrap(), b"hello");
        assert_eq!(b64_decode(b"aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(b64_decode(b"").unwrap(), b"");
        assert!(b64_decode(b"aGVsbG8*").is_none());
        assert!(b64_decode(b"a").is_none());
        assert!(b64_decode(b"aGVsbG9=").is_none(), "unused bits set");
        assert!(b64_decode(b"==").is_none());
    }

    #[test]
    fn string_transformers() {
        let mut v = vec![s("/usr/Bin/BASH")];
        assert!(tolower(&mut v));
        assert_eq!(strs(&v), ["/usr/bin/bash"]);
        assert!(basename(&mut v));
        assert_eq!(strs(&v), ["bash"]);
        let mut v = vec![s("/a/b/")];
        assert!(basename(&mut v));
        assert_eq!(strs(&v), [""]);
        let mut v = vec![s("abc")];
        assert!(len(&mut v, false));
        assert_eq!(v, [ParsedValue::Uint(3)]);
        let mut v = vec![s("a"), s("b")];
        assert!(len(&mut v, true));
        assert_eq!(v, [ParsedValue::Uint(2)]);
        let mut v = vec![s("!!")];
        assert!(!b64(&mut v));
    }

    #[test]
    fn join_concat() {
        assert_eq!(join(&[s(",")], &[s("a"), s("b")]), Some(s("a,b")));
        assert_eq!(join(&[s(",")], &[]), Some(s("")));
        assert_eq!(
            concat([&[s("a")][..], &[s("b")][..]].into_iter()),
            Some(s("ab"))
        );
    }

    #[test]
    fn getopt_rules() {
        let argv = [s("-c"), s("echo hi"), s("-x"), s("rest")];
        let r = getopt(&argv, &[s("c:x")], None).unwrap();
        assert_eq!(strs(&r), ["c", "echo hi", "x"]);
        let r = getopt(&argv, &[s("c:x")], Some(b'c')).unwrap();
        assert_eq!(strs(&r), ["echo hi"]);
        assert!(getopt(&argv, &[s("c:x")], Some(b'z')).is_none());
        let r = getopt(&[s("-nt5"), s("x")], &[s("nt:")], None).unwrap();
        assert_eq!(strs(&r), ["n", "t", "5"]);
        let r = getopt(&[s("--exec"), s("-q"), s("--"), s("-n")], &[s("n")], None).unwrap();
        assert_eq!(strs(&r), ["?"]);
        let r = getopt(&[s("-t")], &[s("t:")], Some(b't')).unwrap();
        assert_eq!(strs(&r), [""]);
    }
}

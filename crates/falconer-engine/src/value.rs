//! Operators on values (libsinsp's `flt_compare`, LANGUAGE.md F), sets of
//! constants for `in`/`intersects`, and rendering of values in outputs
//! (libsinsp's `rawval_to_string` / `rawval_to_json`).

use falconer_catalog::{FieldType, ParsedValue, PrintFormat};
use falconer_syntax::ast::OpKind;
use rustc_hash::FxHashMap;
use std::net::IpAddr;

use crate::glob::glob_match;

/// A string as C code sees it: up to the first NUL.
#[inline]
pub fn cstr(b: &[u8]) -> &[u8] {
    match memchr0(b) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// The first NUL byte: eight bytes at a time (a word has a zero byte iff
/// `(w - 0x01..01) & !w & 0x80..80` is not zero), then bytewise.
#[inline]
fn memchr0(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        if w.wrapping_sub(LO) & !w & HI != 0 {
            return c.iter().position(|&x| x == 0).map(|i| at + i);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&x| x == 0)
        .map(|i| at + i)
}

/// `memmem`: an empty needle is always found.
#[inline]
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    if needle.len() == 1 {
        return hay.contains(&needle[0]);
    }
    let first = needle[0];
    let last = hay.len() - needle.len();
    let mut i = 0;
    while i <= last {
        match hay[i..=last].iter().position(|&b| b == first) {
            None => return false,
            Some(off) => {
                i += off;
                if &hay[i..i + needle.len()] == needle {
                    return true;
                }
                i += 1;
            }
        }
    }
    false
}

/// `strcasestr` in the C locale.
pub fn icontains(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether an IP value lies in a network (address and prefix length).
pub fn in_cidr(v: &IpAddr, net: &IpAddr, len: u8) -> bool {
    match (v, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - len.min(32) as u32)
            };
            (u32::from(*a) & mask) == (u32::from(*n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let len = len.min(128) as u32;
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            (u128::from(*a) & mask) == (u128::from(*n) & mask)
        }
        _ => false,
    }
}

/// `v op c` for one extracted value and one constant of the same field
/// type, as libsinsp's `flt_compare` (`in`/`intersects` compare for
/// equality). `regex` and `pmatch` are handled by their callers.
pub fn compare(op: OpKind, v: &ParsedValue, c: &ParsedValue) -> bool {
    use OpKind as O;
    use ParsedValue as P;
    let eq_like = matches!(op, O::Eq | O::EqEq | O::In | O::Intersects);
    match (v, c) {
        (P::Str(a), P::Str(b)) => {
            let (a, b) = (cstr(a), cstr(b));
            match op {
                _ if eq_like => a == b,
                O::Ne => a != b,
                O::Lt => a < b,
                O::Le => a <= b,
                O::Gt => a > b,
                O::Ge => a >= b,
                O::Contains | O::Bcontains => contains(a, b),
                O::Icontains => icontains(a, b),
                O::Startswith | O::Bstartswith => a.starts_with(b),
                O::Endswith => a.ends_with(b),
                O::Glob => glob_match(b, a, false),
                O::Iglob => glob_match(b, a, true),
                _ => false,
            }
        }
        (P::Bytes(a), P::Bytes(b)) => match op {
            _ if eq_like => a == b,
            O::Ne => a != b,
            O::Contains | O::Bcontains => contains(a, b),
            O::Startswith | O::Bstartswith => a.starts_with(b),
            O::Endswith => a.ends_with(b),
            _ => false,
        },
        (P::Int(a), P::Int(b)) => num(op, a, b),
        (P::Uint(a), P::Uint(b)) => num(op, a, b),
        (P::Double(a), P::Double(b)) => num(op, a, b),
        (P::Bool(a), P::Bool(b)) => match op {
            _ if eq_like => a == b,
            O::Ne => a != b,
            _ => false,
        },
        (P::Ip(a), P::Ip(b)) => {
            // A v4 constant never equals a v6 value: only `!=` holds.
            if a.is_ipv4() != b.is_ipv4() {
                return op == O::Ne;
            }
            match op {
                _ if eq_like => a == b,
                O::Ne => a != b,
                _ => false,
            }
        }
        (P::Ip(a), P::Net(n, len)) => {
            if a.is_ipv4() != n.is_ipv4() {
                return op == O::Ne;
            }
            match op {
                _ if eq_like => in_cidr(a, n, *len),
                O::Ne => !in_cidr(a, n, *len),
                _ => false,
            }
        }
        (P::Net(a, la), P::Net(b, lb)) => match op {
            _ if eq_like => a == b && la == lb,
            O::Ne => !(a == b && la == lb),
            _ => false,
        },
        // Values of different kinds never compare (cannot happen for a
        // type-checked condition).
        _ => op == O::Ne,
    }
}

#[inline]
fn num<T: PartialOrd>(op: OpKind, a: &T, b: &T) -> bool {
    use OpKind as O;
    match op {
        O::Eq | O::EqEq | O::In | O::Intersects => a == b,
        O::Ne => a != b,
        O::Lt => a < b,
        O::Le => a <= b,
        O::Gt => a > b,
        O::Ge => a >= b,
        _ => false,
    }
}

/// Types libsinsp compares only for equality, looping over constants
/// instead of hashing them (networks and socket types).
pub fn eq_only(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::Ipv4net
            | FieldType::Ipv6net
            | FieldType::Ipnet
            | FieldType::Sockaddr
            | FieldType::Socktuple
            | FieldType::Fdlist
            | FieldType::Sigset
    )
}

/// Values hashed by their raw value, as libsinsp compares the parsed
/// bytes of `in`/`intersects` constants: text (up to its NUL) and byte
/// buffers by their bytes, numbers and booleans by their 64 bits,
/// addresses by value. Networks have no key (an address is "in" a
/// network: they are compared one by one, see [`ValueSet`]).
#[derive(Debug, Clone)]
pub struct ValueMap<T> {
    bytes: FxHashMap<Box<[u8]>, T>,
    /// Bit `n` set: a byte string of length `n` (`n` < 256) is in
    /// `bytes`; every longer length passes. Most misses stop here.
    lengths: [u64; 4],
    nums: FxHashMap<u64, T>,
    ips: FxHashMap<IpAddr, T>,
}

impl<T> Default for ValueMap<T> {
    fn default() -> Self {
        ValueMap {
            bytes: Default::default(),
            lengths: [0; 4],
            nums: Default::default(),
            ips: Default::default(),
        }
    }
}

/// The key of a value in a [`ValueMap`].
enum Key<'a> {
    Bytes(&'a [u8]),
    Num(u64),
    Ip(IpAddr),
    /// A network: no key.
    None,
}

#[inline]
fn key(v: &ParsedValue) -> Key<'_> {
    match v {
        ParsedValue::Str(b) => Key::Bytes(cstr(b)),
        ParsedValue::Bytes(b) => Key::Bytes(b),
        ParsedValue::Int(i) => Key::Num(*i as u64),
        ParsedValue::Uint(u) => Key::Num(*u),
        ParsedValue::Double(d) => Key::Num(d.to_bits()),
        ParsedValue::Bool(b) => Key::Num(*b as u64),
        ParsedValue::Ip(a) => Key::Ip(*a),
        ParsedValue::Net(..) => Key::None,
    }
}

impl<T> ValueMap<T> {
    /// The entry of `v` (inserted with `init` if new); `None` for a
    /// network, which has no key.
    pub fn entry(&mut self, v: &ParsedValue, init: impl FnOnce() -> T) -> Option<&mut T> {
        Some(match key(v) {
            Key::Bytes(b) => {
                if b.len() < 256 {
                    self.lengths[b.len() / 64] |= 1 << (b.len() % 64);
                }
                self.bytes.entry(b.into()).or_insert_with(init)
            }
            Key::Num(n) => self.nums.entry(n).or_insert_with(init),
            Key::Ip(a) => self.ips.entry(a).or_insert_with(init),
            Key::None => return None,
        })
    }

    #[inline]
    pub fn get(&self, v: &ParsedValue) -> Option<&T> {
        match key(v) {
            Key::Bytes(b) => {
                if b.len() < 256 && self.lengths[b.len() / 64] & (1 << (b.len() % 64)) == 0 {
                    return None;
                }
                self.bytes.get(b)
            }
            Key::Num(n) => self.nums.get(&n),
            Key::Ip(a) => self.ips.get(&a),
            Key::None => None,
        }
    }
}

/// A set of constants for `in`, `intersects`, `== anyof` and `!= allof`:
/// hashed by their raw value ([`ValueMap`]), except networks, which are
/// matched one by one (an address is "in" a network).
#[derive(Debug, Default, Clone)]
pub struct ValueSet {
    hashed: ValueMap<()>,
    /// Constants compared one by one (networks).
    linear: Vec<ParsedValue>,
}

impl ValueSet {
    pub fn new(values: &[ParsedValue]) -> ValueSet {
        let mut s = ValueSet::default();
        for v in values {
            s.insert(v);
        }
        s
    }

    pub fn insert(&mut self, v: &ParsedValue) {
        if self.hashed.entry(v, || ()).is_none() {
            self.linear.push(v.clone());
        }
    }

    /// Whether every constant is hashed (no network).
    pub fn is_hashed(&self) -> bool {
        self.linear.is_empty()
    }

    pub fn contains(&self, v: &ParsedValue) -> bool {
        self.hashed.get(v).is_some() || self.linear.iter().any(|c| compare(OpKind::Eq, v, c))
    }
}

/// Renders one value as libsinsp's `rawval_to_string` does for the
/// field's type and print format.
pub fn render(v: &ParsedValue, fmt: PrintFormat, out: &mut String) {
    use std::fmt::Write;
    match v {
        ParsedValue::Str(b) => match std::str::from_utf8(cstr(b)) {
            Ok(t) => out.push_str(t),
            Err(_) => out.push_str(&String::from_utf8_lossy(cstr(b))),
        },
        ParsedValue::Bytes(b) => {
            // The normal buffer format: printable bytes, newlines and tabs
            // as they are, others as dots.
            for &c in b.iter().take(1023) {
                out.push(if (0x20..0x7f).contains(&c) || c == b'\n' || c == b'\t' {
                    c as char
                } else {
                    '.'
                });
            }
        }
        ParsedValue::Int(i) => {
            let _ = match fmt {
                PrintFormat::Hex => write!(out, "{:X}", i),
                PrintFormat::Oct => write!(out, "{:o}", i),
                PrintFormat::PaddedDec10 => write!(out, "{:09}", i),
                _ => write!(out, "{i}"),
            };
        }
        ParsedValue::Uint(u) => {
            let _ = match fmt {
                PrintFormat::Hex => write!(out, "{:X}", u),
                PrintFormat::Oct => write!(out, "{:o}", u),
                PrintFormat::PaddedDec10 => write!(out, "{:09}", u),
                _ => write!(out, "{u}"),
            };
        }
        ParsedValue::Double(d) => {
            let _ = write!(out, "{d:.1}");
        }
        ParsedValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ParsedValue::Ip(a) => {
            let _ = write!(out, "{a}");
        }
        ParsedValue::Net(..) => out.push_str("<IPNET>"),
    }
}

/// Renders the values of one output token: `<NA>` when there is none,
/// `(a,b)` for list fields, the first value otherwise.
pub fn render_values(values: &[ParsedValue], is_list: bool, fmt: PrintFormat, out: &mut String) {
    if values.is_empty() {
        out.push_str("<NA>");
        return;
    }
    if is_list {
        out.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            render(v, fmt, out);
        }
        out.push(')');
    } else {
        render(&values[0], fmt, out);
    }
}

/// One value as libsinsp's `rawval_to_json`: numbers as numbers (as text
/// for hexadecimal, octal and padded formats), booleans as booleans, the
/// rest as text.
pub fn to_json(v: &ParsedValue, fmt: PrintFormat) -> serde_json::Value {
    use serde_json::Value as J;
    let textual = matches!(
        fmt,
        PrintFormat::Hex | PrintFormat::Oct | PrintFormat::PaddedDec10
    );
    match v {
        ParsedValue::Int(i) if !textual => J::from(*i),
        ParsedValue::Uint(u) if !textual => J::from(*u),
        ParsedValue::Double(d) => {
            if fmt == PrintFormat::Dec {
                J::from(*d as i64)
            } else {
                serde_json::Number::from_f64(*d).map_or(J::Null, J::Number)
            }
        }
        ParsedValue::Bool(b) => J::Bool(*b),
        _ => {
            let mut s = String::new();
            render(v, fmt, &mut s);
            J::String(s)
        }
    }
}

/// The JSON value of an output token: `null` when missing, an array for
/// list fields.
pub fn values_to_json(
    values: &[ParsedValue],
    is_list: bool,
    fmt: PrintFormat,
) -> serde_json::Value {
    if values.is_empty() {
        return serde_json::Value::Null;
    }
    if is_list {
        serde_json::Value::Array(values.iter().map(|v| to_json(v, fmt)).collect())
    } else {
        to_json(&values[0], fmt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_catalog::parse_value;
    use OpKind as O;

    fn s(x: &str) -> ParsedValue {
        ParsedValue::Str(x.as_bytes().to_vec())
    }

    #[test]
    fn strings() {
        assert!(compare(O::Eq, &s("bash"), &s("bash")));
        assert!(!compare(O::Eq, &s("bash"), &s("Bash")));
        assert!(compare(O::Ne, &s("bash"), &s("Bash")));
        assert!(compare(O::Lt, &s("abc"), &s("abd")));
        assert!(compare(O::Ge, &s("b"), &s("abd")));
        assert!(compare(O::Contains, &s("/etc/passwd"), &s("pass")));
        assert!(compare(O::Contains, &s("x"), &s("")));
        assert!(compare(O::Icontains, &s("/ETC/Passwd"), &s("etc/pa")));
        assert!(compare(O::Startswith, &s("/etc/x"), &s("/etc/")));
        assert!(compare(O::Endswith, &s("a.pub"), &s(".pub")));
        assert!(!compare(O::Endswith, &s("b"), &s("ab")));
        assert!(compare(O::Glob, &s("/tmp/x.sh"), &s("/tmp/*.sh")));
        assert!(compare(O::Iglob, &s("/TMP/X.SH"), &s("/tmp/*.sh")));
        // C strings: up to the first NUL.
        assert!(compare(O::Eq, &s("ab\0cd"), &s("ab")));
    }

    #[test]
    fn numbers_and_ips() {
        let u = |x: &str| parse_value(FieldType::Uint64, O::Eq, x.as_bytes()).unwrap();
        assert!(compare(O::Lt, &u("3"), &u("10")));
        assert!(compare(O::Eq, &u("18446744073709551615"), &u("-1")));
        let ip = |x: &str| parse_value(FieldType::Ipaddr, O::Eq, x.as_bytes()).unwrap();
        let net = |x: &str| parse_value(FieldType::Ipnet, O::Eq, x.as_bytes()).unwrap();
        assert!(compare(O::Eq, &ip("10.1.2.3"), &ip("10.1.2.3")));
        assert!(compare(O::Ne, &ip("10.1.2.3"), &ip("::1")));
        assert!(!compare(O::Eq, &ip("10.1.2.3"), &ip("::1")));
        assert!(compare(O::Eq, &ip("10.1.2.3"), &net("10.0.0.0/8")));
        assert!(!compare(O::Eq, &ip("11.1.2.3"), &net("10.0.0.0/8")));
        assert!(compare(O::Eq, &ip("fd00::1"), &net("fc00::/7")));
        assert!(compare(O::Eq, &ip("1.2.3.4"), &net("0.0.0.0/0")));
        assert!(compare(O::Ne, &ip("1.2.3.4"), &net("fc00::/7")));
    }

    #[test]
    fn nul_search() {
        for len in 0..40 {
            let mut v = vec![b'a'; len];
            assert_eq!(cstr(&v), &v[..]);
            for at in 0..len {
                v.iter_mut().for_each(|b| *b = 0xff);
                v[at] = 0;
                assert_eq!(cstr(&v).len(), at, "len {len} at {at}");
                // A 0x80/0x01 neighbour is no false hit.
                v[at] = 0x80;
                assert_eq!(cstr(&v).len(), len);
                v[at] = 1;
                assert_eq!(cstr(&v).len(), len);
            }
        }
    }

    #[test]
    fn sets_by_length() {
        let long = "x".repeat(300);
        let set = ValueSet::new(&[s(""), s("ab"), s(&"y".repeat(70)), s(&long), s("a\0zz")]);
        assert!(set.contains(&s("")));
        assert!(set.contains(&s("ab")));
        assert!(set.contains(&s("ab\0junk")));
        assert!(set.contains(&s("a")));
        assert!(!set.contains(&s("ba")));
        assert!(!set.contains(&s("abc")));
        assert!(set.contains(&s(&"y".repeat(70))));
        assert!(!set.contains(&s(&"y".repeat(71))));
        assert!(set.contains(&s(&long)));
        assert!(!set.contains(&s(&"x".repeat(299))));
        assert!(!set.contains(&s(&"x".repeat(301))));
        let bytes = ValueSet::new(&[ParsedValue::Bytes(b"a\0b".to_vec())]);
        assert!(bytes.contains(&ParsedValue::Bytes(b"a\0b".to_vec())));
        assert!(!bytes.contains(&ParsedValue::Bytes(b"a".to_vec())));
    }

    #[test]
    fn sets() {
        let set = ValueSet::new(&[s("a"), s("b")]);
        assert!(set.contains(&s("a")));
        assert!(!set.contains(&s("c")));
        let nets = ValueSet::new(&[ParsedValue::Net("10.0.0.0".parse().unwrap(), 8)]);
        assert!(nets.contains(&ParsedValue::Ip("10.9.9.9".parse().unwrap())));
        assert!(!nets.contains(&ParsedValue::Ip("11.9.9.9".parse().unwrap())));
    }

    #[test]
    fn rendering() {
        let mut out = String::new();
        render_values(&[], false, PrintFormat::Na, &mut out);
        assert_eq!(out, "<NA>");
        out.clear();
        render_values(&[s("a"), s("b")], true, PrintFormat::Na, &mut out);
        assert_eq!(out, "(a,b)");
        out.clear();
        render(
            &ParsedValue::Ip("10.0.0.1".parse().unwrap()),
            PrintFormat::Na,
            &mut out,
        );
        assert_eq!(out, "10.0.0.1");
        out.clear();
        render(&ParsedValue::Uint(255), PrintFormat::Hex, &mut out);
        assert_eq!(out, "FF");
        assert_eq!(
            values_to_json(&[ParsedValue::Int(-3)], false, PrintFormat::Dec),
            serde_json::json!(-3)
        );
        assert_eq!(
            values_to_json(&[], false, PrintFormat::Dec),
            serde_json::Value::Null
        );
    }
}

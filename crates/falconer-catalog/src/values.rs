//! Parsing of constant right-hand values per field type (LANGUAGE.md B.3,
//! libsinsp `string_to_rawval`).

use crate::types::FieldType;
use crate::Catalog;
use falconer_syntax::ast::OpKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// libsinsp stores each constant in a buffer that grows from 16 to at most
/// this many bytes: a string constant needs its length plus a terminator
/// (so at most 255 bytes), a byte-buffer constant must be shorter than
/// this.
pub const MAX_VALUE_STORAGE: usize = 256;

/// A constant parsed for a field type, ready for evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum ParsedValue {
    /// CHARBUF, FSPATH, FSRELPATH (and the socket types, copied as text).
    Str(Vec<u8>),
    /// BYTEBUF: the raw text, or the hex-decoded bytes for `bcontains` /
    /// `bstartswith`.
    Bytes(Vec<u8>),
    /// Signed integer types, already narrowed to their width
    /// (INT8/16/32 keep the low bits of the 32-bit parse).
    Int(i64),
    /// Unsigned integer types, narrowed to their width; also PORT.
    Uint(u64),
    /// DOUBLE: always an integer value (libsinsp parses a 32-bit integer).
    Double(f64),
    Bool(bool),
    /// IPV4ADDR, IPV6ADDR, IPADDR.
    Ip(IpAddr),
    /// IPV4NET, IPV6NET, IPNET: address and prefix length.
    Net(IpAddr, u8),
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `sscanf("%d%c")`-style parse of a signed integer of `bits` (32 or 64):
/// optional leading blanks, optional sign, decimal digits, nothing after.
/// As glibc does, the digits are read as a 64-bit `long` (saturating on
/// overflow) and a 32-bit target keeps the low 32 bits.
pub(crate) fn scan_signed(text: &[u8], bits: u32) -> Option<i64> {
    let (neg, digits) = scan_digits(text)?;
    let mut mag: u64 = 0;
    let mut overflow = false;
    for &d in digits {
        match mag
            .checked_mul(10)
            .and_then(|m| m.checked_add((d - b'0') as u64))
        {
            Some(m) => mag = m,
            None => overflow = true,
        }
    }
    let v: i64 = if neg {
        if overflow || mag > (i64::MAX as u64) + 1 {
            i64::MIN
        } else {
            (mag as i64).wrapping_neg()
        }
    } else if overflow || mag > i64::MAX as u64 {
        i64::MAX
    } else {
        mag as i64
    };
    Some(if bits == 32 { v as i32 as i64 } else { v })
}

/// `sscanf("%u%c")`-style parse of an unsigned integer of `bits` (32 or
/// 64): like [`scan_signed`], but a leading `-` negates with wrap-around
/// (`-1` is the maximum value) and overflow saturates before narrowing.
pub(crate) fn scan_unsigned(text: &[u8], bits: u32) -> Option<u64> {
    let (neg, digits) = scan_digits(text)?;
    let mut mag: u64 = 0;
    let mut overflow = false;
    for &d in digits {
        match mag
            .checked_mul(10)
            .and_then(|m| m.checked_add((d - b'0') as u64))
        {
            Some(m) => mag = m,
            None => overflow = true,
        }
    }
    let v = if overflow {
        u64::MAX
    } else if neg {
        mag.wrapping_neg()
    } else {
        mag
    };
    Some(if bits == 32 { v as u32 as u64 } else { v })
}

/// Blanks, sign, at least one digit, and nothing else.
fn scan_digits(text: &[u8]) -> Option<(bool, &[u8])> {
    let mut i = 0;
    while i < text.len() && is_c_space(text[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < text.len() && (text[i] == b'+' || text[i] == b'-') {
        neg = text[i] == b'-';
        i += 1;
    }
    let start = i;
    while i < text.len() && text[i].is_ascii_digit() {
        i += 1;
    }
    if i == start || i != text.len() {
        return None;
    }
    Some((neg, &text[start..i]))
}

fn lossy(text: &[u8]) -> String {
    String::from_utf8_lossy(text).into_owned()
}

fn not_a_number(text: &[u8]) -> String {
    format!("{} is not a valid number", lossy(text))
}

fn signed(text: &[u8], bits: u32) -> Result<i64, String> {
    scan_signed(text, bits).ok_or_else(|| not_a_number(text))
}

fn unsigned(text: &[u8], bits: u32) -> Result<u64, String> {
    scan_unsigned(text, bits).ok_or_else(|| not_a_number(text))
}

/// The service table used to resolve PORT values given by name.
///
/// This is a fixed table of common IANA service names and aliases (as in
/// a typical `/etc/services`), not the host's services database: libsinsp
/// calls `getservbyname`, so Falco's answer depends on the machine it runs
/// on; ours does not.
pub fn services() -> &'static [(&'static str, u16)] {
    &SERVICES
}

/// Sorted by name.
static SERVICES: [(&str, u16); 78] = [
    ("auth", 113),
    ("bgp", 179),
    ("bootpc", 68),
    ("bootps", 67),
    ("chargen", 19),
    ("daytime", 13),
    ("discard", 9),
    ("domain", 53),
    ("echo", 7),
    ("epmd", 4369),
    ("finger", 79),
    ("ftp", 21),
    ("ftp-data", 20),
    ("ftps", 990),
    ("ftps-data", 989),
    ("git", 9418),
    ("gopher", 70),
    ("http", 80),
    ("http-alt", 8080),
    ("https", 443),
    ("imap", 143),
    ("imap2", 143),
    ("imaps", 993),
    ("ipp", 631),
    ("irc", 194),
    ("ircs-u", 6697),
    ("isakmp", 500),
    ("kerberos", 88),
    ("kerberos5", 88),
    ("kpasswd", 464),
    ("krb5", 88),
    ("ldap", 389),
    ("ldaps", 636),
    ("login", 513),
    ("mail", 25),
    ("microsoft-ds", 445),
    ("ms-sql-s", 1433),
    ("mysql", 3306),
    ("nameserver", 42),
    ("netbios-dgm", 138),
    ("netbios-ns", 137),
    ("netbios-ssn", 139),
    ("nfs", 2049),
    ("nntp", 119),
    ("ntp", 123),
    ("openvpn", 1194),
    ("pop3", 110),
    ("pop3s", 995),
    ("portmapper", 111),
    ("postgresql", 5432),
    ("printer", 515),
    ("radius", 1812),
    ("rdp", 3389),
    ("redis", 6379),
    ("rfb", 5900),
    ("rsync", 873),
    ("rtsp", 554),
    ("shell", 514),
    ("sip", 5060),
    ("smtp", 25),
    ("snmp", 161),
    ("snmp-trap", 162),
    ("socks", 1080),
    ("ssh", 22),
    ("submission", 587),
    ("submissions", 465),
    ("sunrpc", 111),
    ("svn", 3690),
    ("syslog", 514),
    ("telnet", 23),
    ("tftp", 69),
    ("time", 37),
    ("urd", 465),
    ("webcache", 8080),
    ("whois", 43),
    ("www", 80),
    ("x11", 6000),
    ("xmpp-client", 5222),
];

fn service_port(name: &[u8]) -> Option<u16> {
    let name = std::str::from_utf8(name).ok()?;
    SERVICES
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| SERVICES[i].1)
}

/// Decodes an even number of hex digits (`bcontains` / `bstartswith`).
fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    Some(
        text.chunks(2)
            .map(|p| (nib(p[0]) << 4) | nib(p[1]))
            .collect(),
    )
}

fn parse_ipv4(text: &[u8]) -> Option<Ipv4Addr> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn parse_ipv6(text: &[u8]) -> Option<Ipv6Addr> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// `ip/mask` split as libsinsp does: the address up to the first `/`, the
/// mask up to the next newline.
fn split_net(text: &[u8]) -> (&[u8], &[u8]) {
    let slash = text.iter().position(|b| *b == b'/').unwrap_or(text.len());
    let ip = &text[..slash];
    let rest = text.get(slash + 1..).unwrap_or(&[]);
    let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    (ip, &rest[..end])
}

/// Parses a constant right-hand value (or list item) for a field of type
/// `ty` compared with `op`, as libsinsp does (B.3): integers with
/// `sscanf` rules (blanks, sign, `-` wrapping for unsigned types, no hex,
/// 8/16-bit types truncated), PORT as digits or a service name (from
/// [`services`]), DOUBLE as a 32-bit integer, BOOL as `true`/`false`,
/// addresses and CIDR networks, BYTEBUF as raw bytes or, with `bcontains`
/// / `bstartswith`, as hex. A NUL byte is rejected for every type but
/// BYTEBUF.
///
/// Errors are libsinsp's texts (some carry libsinsp's own `filter error: `
/// prefix). Field-specific checks (`evt.type` names, `evt.around`) are in
/// [`Catalog::parse_field_value`].
pub fn parse_value(ty: FieldType, op: OpKind, text: &[u8]) -> Result<ParsedValue, String> {
    if matches!(op, OpKind::Bcontains | OpKind::Bstartswith) {
        let bytes = unhex(text).ok_or_else(|| {
            "filter error: bcontains and bstartswith operator support hex strings only".to_string()
        })?;
        return parse_raw(ty, &bytes);
    }
    parse_raw(ty, text)
}

fn parse_raw(ty: FieldType, text: &[u8]) -> Result<ParsedValue, String> {
    use FieldType as T;
    if ty == T::Bytebuf {
        if text.len() >= MAX_VALUE_STORAGE {
            return Err("filter parameter too long (byte buf)".into());
        }
        return Ok(ParsedValue::Bytes(text.to_vec()));
    }
    if text.contains(&0) {
        return Err("filter error: filter value cannot contain a NUL byte (\\x00)".into());
    }
    Ok(match ty {
        T::Int8 => ParsedValue::Int(signed(text, 32)? as i8 as i64),
        T::Int16 => ParsedValue::Int(signed(text, 32)? as i16 as i64),
        T::Int32 => ParsedValue::Int(signed(text, 32)?),
        T::Int64 | T::Fd | T::Errno | T::Pid => ParsedValue::Int(signed(text, 64)?),
        T::L4proto | T::Flags8 | T::Uint8 | T::Enumflags8 => {
            ParsedValue::Uint(unsigned(text, 32)? as u8 as u64)
        }
        T::Flags16 | T::Uint16 | T::Enumflags16 => {
            ParsedValue::Uint(unsigned(text, 32)? as u16 as u64)
        }
        T::Flags32 | T::Uint32 | T::Mode | T::Enumflags32 | T::Uid | T::Gid => {
            ParsedValue::Uint(unsigned(text, 32)?)
        }
        T::Uint64 | T::Reltime | T::Abstime => ParsedValue::Uint(unsigned(text, 64)?),
        T::Port => ParsedValue::Uint(parse_port(text)? as u64),
        T::Charbuf | T::Sockaddr | T::Socktuple | T::Sockfamily | T::Fspath | T::Fsrelpath => {
            if text.len() + 1 > MAX_VALUE_STORAGE {
                return Err(format!(
                    "filter parameter too long (used={}, available={MAX_VALUE_STORAGE}):{}",
                    text.len() + 1,
                    lossy(text)
                ));
            }
            ParsedValue::Str(text.to_vec())
        }
        T::Bool => match text {
            b"true" => ParsedValue::Bool(true),
            b"false" => ParsedValue::Bool(false),
            _ => {
                return Err(format!(
                    "filter error: unrecognized boolean value {}",
                    lossy(text)
                ))
            }
        },
        T::Double => ParsedValue::Double(signed(text, 32)? as f64),
        T::Ipaddr => {
            if text.contains(&b'.') {
                return parse_raw(T::Ipv4addr, text);
            }
            return parse_raw(T::Ipv6addr, text);
        }
        T::Ipv4addr => match parse_ipv4(text) {
            Some(a) => ParsedValue::Ip(IpAddr::V4(a)),
            None => return Err(format!("unrecognized IPv4 address {}", lossy(text))),
        },
        T::Ipv6addr => match parse_ipv6(text) {
            Some(a) => ParsedValue::Ip(IpAddr::V6(a)),
            None => return Err(format!("unrecognized IPv6 address {}", lossy(text))),
        },
        T::Ipnet => {
            if text.contains(&b'.') {
                return parse_raw(T::Ipv4net, text);
            }
            return parse_raw(T::Ipv6net, text);
        }
        T::Ipv4net => {
            if !text.contains(&b'/') {
                return Err(format!("unrecognized IP network {}", lossy(text)));
            }
            let (ip, mask) = split_net(text);
            let Some(a) = parse_ipv4(ip) else {
                return Err(format!("unrecognized IP address {}", lossy(text)));
            };
            let len = unsigned(mask, 32)? as u8;
            if len > 32 {
                return Err(format!("invalid netmask {}", lossy(mask)));
            }
            ParsedValue::Net(IpAddr::V4(a), len)
        }
        T::Ipv6net => {
            if !text.contains(&b'/') {
                return Err(format!("invalid v6 netmask: {}", lossy(text)));
            }
            let (ip, mask) = split_net(text);
            let Some(a) = parse_ipv6(ip) else {
                return Err(format!("unrecognized IPv6 address {}", lossy(text)));
            };
            let len = unsigned(mask, 32)? as u8;
            if len == 0 || len > 128 {
                return Err(format!("invalid v6 netmask {}", lossy(mask)));
            }
            ParsedValue::Net(IpAddr::V6(a), len)
        }
        T::Syscallid
        | T::Sigtype
        | T::Fdlist
        | T::Dynamic
        | T::Sigset
        | T::Charbufarray
        | T::CharbufPairArray
        | T::Fd32
        | T::Pid32
        | T::Bytebuf => {
            return Err(format!("wrong parameter type {}", ty.pt_code()));
        }
    })
}

fn parse_port(text: &[u8]) -> Result<u16, String> {
    if text.is_empty() {
        return Ok(0);
    }
    if text.iter().all(u8::is_ascii_digit) {
        // std::stoi: fails beyond the int range; the int is then narrowed.
        let mut v: i64 = 0;
        for d in text {
            v = v * 10 + (d - b'0') as i64;
            if v > i32::MAX as i64 {
                return Err("stoi".into());
            }
        }
        return Ok(v as u16);
    }
    service_port(text).ok_or_else(|| format!("unrecognized protocol {}", lossy(text)))
}

impl Catalog {
    /// [`parse_value`] plus the checks libsinsp's event field class adds
    /// for particular fields: `evt.type` values must be event-type names
    /// ([`Catalog::is_event_type_name`] with `plugins`), else
    /// `unknown event type <v>`; `evt.around` accepts only `=`. `field` is
    /// the resolved field name (without argument), `ty` the type after
    /// transformers (the parameter type for `evt.rawarg`).
    pub fn parse_field_value(
        &self,
        field: &str,
        ty: FieldType,
        op: OpKind,
        text: &[u8],
        plugins: &[&str],
    ) -> Result<ParsedValue, String> {
        let v = parse_value(ty, op, text)?;
        match field {
            "evt.type" => {
                let name = match &v {
                    ParsedValue::Str(b) | ParsedValue::Bytes(b) => lossy(b),
                    _ => lossy(text),
                };
                if !self.is_event_type_name(&name, plugins) {
                    return Err(format!("unknown event type {name}"));
                }
            }
            "evt.around" if !matches!(op, OpKind::Eq | OpKind::EqEq) => {
                return Err("evt.around supports only '=' comparison operator".into());
            }
            _ => {}
        }
        Ok(v)
    }
}

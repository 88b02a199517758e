//! Property: no condition and no event make the engine panic.
//!
//! Conditions are drawn from the grammar (fields of every type, every
//! operator and modifier, transformers, `val()`, lists, nesting, and
//! awkward values); those that parse and compile are evaluated over
//! generated captures with the real extractors, and over arbitrary field
//! values (of any kind and count, mismatched types included) through a
//! test double of extraction.

mod common;

use common::empty_host;
use falconer_catalog::{FieldScope, ParsedValue};
use falconer_engine::capgen::{Generator, Rng};
use falconer_engine::engine::Engine;
use falconer_engine::program::{Frame, NodeId, Program};
use falconer_engine::replay::replay;
use falconer_scap::{ScapReader, ScapWriter};
use proptest::prelude::*;

const FIELDS: &[&str] = &[
    "proc.name",
    "proc.pname",
    "proc.cmdline",
    "proc.args",
    "proc.exe",
    "proc.pid",
    "proc.aname",
    "proc.aname[2]",
    "proc.apid",
    "proc.env[HOME]",
    "user.name",
    "user.uid",
    "evt.type",
    "evt.num",
    "evt.res",
    "evt.rawres",
    "evt.arg.name",
    "evt.arg[1]",
    "evt.buffer",
    "evt.is_open_write",
    "fd.name",
    "fd.directory",
    "fd.num",
    "fd.typechar",
    "fd.types",
    "fd.sip",
    "fd.cip",
    "fd.sport",
    "fd.ip",
    "fd.port",
    "fd.net",
    "fd.snet",
    "fd.l4proto",
    "container.id",
    "container.image.repository",
];

const OPS: &[&str] = &[
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "glob",
    "iglob",
    "pmatch",
    "in",
    "intersects",
    "regex",
];

const VALUES: &[&str] = &[
    "curl",
    "''",
    "'*'",
    "'['",
    "'a\\\\b'",
    "/etc",
    "/etc/",
    "'/etc/*'",
    "0",
    "-1",
    "443",
    "18446744073709551616",
    "10.0.0.0/8",
    "10.0.0.1",
    "'::1'",
    "'fc00::/7'",
    "true",
    "false",
    "SUCCESS",
    "726f6f74",
    "'(a|b'",
    "'.*'",
    "'x y'",
    "execve",
    "https",
];

/// Field kinds, to draw mostly well-typed checks.
#[derive(Clone, Copy, PartialEq)]
enum K {
    Str,
    Num,
    Ip,
    Net,
    Bool,
    Bytes,
    List,
}

fn kind(f: &str) -> K {
    match f {
        "proc.pid" | "proc.apid" | "user.uid" | "evt.num" | "evt.rawres" | "fd.num"
        | "fd.sport" | "fd.port" => K::Num,
        "fd.sip" | "fd.cip" | "fd.ip" => K::Ip,
        "fd.net" | "fd.snet" => K::Net,
        "evt.is_open_write" => K::Bool,
        "evt.buffer" => K::Bytes,
        "fd.types" => K::List,
        _ => K::Str,
    }
}

fn ops(k: K) -> &'static [&'static str] {
    match k {
        K::Str => &[
            "=",
            "!=",
            "contains",
            "icontains",
            "startswith",
            "endswith",
            "glob",
            "iglob",
            "pmatch",
            "in",
            "intersects",
            "regex",
        ],
        K::Num => &["=", "!=", "<", "<=", ">", ">=", "in", "intersects"],
        K::Ip | K::Net => &["=", "!=", "in", "intersects"],
        K::Bool => &["=", "!=", "in"],
        K::Bytes => &[
            "=",
            "!=",
            "contains",
            "bcontains",
            "startswith",
            "bstartswith",
            "endswith",
            "in",
        ],
        K::List => &["in", "intersects"],
    }
}

fn values(k: K) -> &'static [&'static str] {
    match k {
        K::Str | K::List => &[
            "curl", "''", "'*'", "'['", "'a\\\\b'", "/etc", "/etc/", "'/etc/*'", "bash", "'(a|b'",
            "'.*'", "'x y'", "execve", "openat", "SUCCESS", "host", "'c.*'", "'[!a]*'", "file",
        ],
        K::Num => &[
            "0",
            "-1",
            "1",
            "443",
            "1000",
            "18446744073709551616",
            "https",
            "65535",
        ],
        K::Ip => &[
            "10.0.0.1",
            "'::1'",
            "93.184.216.34",
            "172.17.0.2",
            "0.0.0.0",
        ],
        K::Net => &[
            "10.0.0.0/8",
            "'fc00::/7'",
            "0.0.0.0/0",
            "93.184.216.34/32",
            "172.16.0.0/12",
        ],
        K::Bool => &["true", "false"],
        K::Bytes => &["726f6f74", "474554", "''", "root", "00ff"],
    }
}

fn field(r: &mut Rng) -> (String, K) {
    let f = *r.pick(FIELDS);
    let k = kind(f);
    match r.below(10) {
        0 if k == K::Str => (format!("tolower({f})"), K::Str),
        1 if k == K::Str => (format!("basename({f})"), K::Str),
        2 if matches!(k, K::Str | K::List) => (format!("len({f})"), K::Num),
        3 if k == K::Str => (format!("concat({f}, 'x')"), K::Str),
        4 if k == K::List => (format!("join(',', {f})"), K::Str),
        5 if k == K::Str => (format!("b64({f})"), K::Str),
        _ => (f.to_string(), k),
    }
}

fn check(r: &mut Rng) -> String {
    let (lhs, k) = field(r);
    if r.chance(8) {
        return format!("{lhs} exists");
    }
    // Now and then anything at all (mostly compile errors).
    let (op, vals): (&str, &[&str]) = if r.chance(15) {
        (*r.pick(OPS), VALUES)
    } else {
        (*r.pick(ops(k)), values(k))
    };
    let list = |r: &mut Rng| {
        let n = r.below(4);
        let items: Vec<&str> = (0..n).map(|_| *r.pick(vals)).collect();
        format!("({})", items.join(", "))
    };
    match r.below(6) {
        0 => format!("{lhs} {op} val({})", r.pick(FIELDS)),
        1 if !matches!(op, "in" | "intersects" | "pmatch" | "<" | "<=" | ">" | ">=") => {
            let m = *r.pick(&["oneof", "anyof", "allof"]);
            format!("{lhs} {op} {m} {}", list(r))
        }
        _ if matches!(op, "in" | "intersects" | "pmatch") => format!("{lhs} {op} {}", list(r)),
        _ => format!("{lhs} {op} {}", r.pick(vals)),
    }
}

fn condition(r: &mut Rng, depth: u32) -> String {
    if depth == 0 || r.chance(40) {
        return check(r);
    }
    match r.below(3) {
        0 => format!(
            "({} and {})",
            condition(r, depth - 1),
            condition(r, depth - 1)
        ),
        1 => format!(
            "({} or {})",
            condition(r, depth - 1),
            condition(r, depth - 1)
        ),
        _ => format!("not {}", condition(r, depth - 1)),
    }
}

fn small_capture(seed: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = ScapWriter::new(&mut buf).unwrap();
    let mut g = Generator::new(seed, 1_700_000_000_000_000_000);
    w.write_processes(&g.process_list()).unwrap();
    g.containers(&mut w).unwrap();
    g.run(&mut w, 300).unwrap();
    w.finish().unwrap();
    buf
}

fn arbitrary_values(r: &mut Rng) -> Vec<ParsedValue> {
    let n = r.below(4);
    (0..n)
        .map(|_| match r.below(8) {
            0 => ParsedValue::Str(r.pick(VALUES).as_bytes().to_vec()),
            1 => ParsedValue::Bytes(vec![0, 1, 255]),
            2 => ParsedValue::Int(r.next_u64() as i64),
            3 => ParsedValue::Uint(r.next_u64()),
            4 => ParsedValue::Double(f64::NAN),
            5 => ParsedValue::Bool(r.chance(50)),
            6 => ParsedValue::Ip("10.0.0.1".parse().unwrap()),
            _ => ParsedValue::Net("::".parse().unwrap(), 200),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_panic_for_any_condition_and_event(seed in any::<u64>()) {
        let mut r = Rng::new(seed);
        let host = empty_host();
        let cap = small_capture(seed);
        for _ in 0..4 {
            let cond = condition(&mut r, 3);
            // Parsing and compiling never panic either.
            let Ok(mut engine) = Engine::from_condition(&host, &cond, "%proc.name %fd.name") else {
                continue;
            };
            let mut reader = ScapReader::new(std::io::Cursor::new(cap.clone())).unwrap();
            let _ = replay(&mut reader, &mut engine, |a| {
                let _ = a.line();
            });
            // The same condition over arbitrary values of any kind.
            let parsed = falconer_syntax::parse_condition(&cond);
            let Some(expr) = parsed.expr.filter(|_| parsed.errors.is_empty()) else { continue };
            let mut p = Program::new();
            let Ok(node) = p.compile(&expr, &FieldScope::falco_default()) else { continue };
            let mut frame = Frame::new(&p);
            let mut r2 = Rng::new(r.next_u64());
            for _ in 0..8 {
                frame.next_event();
                let _ = frame.eval(&p, node, &mut |_, out| {
                    out.clear();
                    out.extend(arbitrary_values(&mut r2));
                });
            }
        }
    }
}

/// Values a field might have, of its kind or of any kind (mismatched
/// kinds, several values, none), drawn so that they often equal the
/// constants of [`values`].
fn field_values(r: &mut Rng) -> Vec<ParsedValue> {
    let n = r.below(4);
    (0..n)
        .map(|_| match r.below(6) {
            0 | 1 => {
                let v = r.pick(values(K::Str)).trim_matches('\'');
                ParsedValue::Str(v.as_bytes().to_vec())
            }
            2 => ParsedValue::Uint(*r.pick(&[0, 1, 443, 65535])),
            3 => ParsedValue::Int(*r.pick(&[0, -1, 1000])),
            4 => ParsedValue::Ip(r.pick(&["10.0.0.1", "::1", "0.0.0.0"]).parse().unwrap()),
            _ => arbitrary_values(r).pop().unwrap_or(ParsedValue::Bool(true)),
        })
        .collect()
}

/// `in` / `intersects` checks over the same field are answered together
/// once grouped (`Program::group_sets`): each check keeps the result it
/// has alone, for single, ancestor, endpoint and list fields, whatever
/// the values; once a group is evaluated, its other members are known
/// (`Frame::known`) with their results.
#[test]
fn grouped_set_checks_keep_each_checks_result() {
    const GROUPED: &[&str] = &["proc.name", "proc.aname", "fd.types", "fd.ip", "fd.port"];
    let mut r = Rng::new(4);
    let mut grouped_checks = 0;
    let mut known_early = 0;
    for _ in 0..300 {
        let checks: Vec<String> = (0..10)
            .map(|_| {
                let f = *r.pick(GROUPED);
                let op = if r.chance(60) { "in" } else { "intersects" };
                let n = 1 + r.below(4);
                let items: Vec<&str> = (0..n).map(|_| *r.pick(values(kind(f)))).collect();
                format!("{f} {op} ({})", items.join(", "))
            })
            .collect();
        let compile = |p: &mut Program| -> Vec<NodeId> {
            checks
                .iter()
                .filter_map(|c| {
                    let parsed = falconer_syntax::parse_condition(c);
                    p.compile(parsed.expr.as_ref()?, &FieldScope::falco_default())
                        .ok()
                })
                .collect()
        };
        let mut plain = Program::new();
        let nodes = compile(&mut plain);
        let mut grouped = Program::new();
        assert_eq!(compile(&mut grouped), nodes);
        grouped.group_sets();
        grouped_checks += nodes.iter().filter(|&&n| grouped.is_grouped(n)).count();
        let (mut a, mut b) = (Frame::new(&plain), Frame::new(&grouped));
        let mut c = Frame::new(&grouped);
        for _ in 0..8 {
            let vals: Vec<Vec<ParsedValue>> = (0..plain.fields.len())
                .map(|_| field_values(&mut r))
                .collect();
            let mut fill = |i: usize, out: &mut Vec<ParsedValue>| {
                out.clear();
                out.extend(vals[i].iter().cloned());
            };
            a.next_event();
            b.next_event();
            c.next_event();
            // In a varying order, so that any member may be evaluated first.
            let start = r.below(nodes.len().max(1) as u64) as usize;
            let mut expected = Vec::new();
            for k in 0..nodes.len() {
                let n = nodes[(start + k) % nodes.len()];
                let v = a.eval(&plain, n, &mut fill);
                assert_eq!(v, b.eval(&grouped, n, &mut fill), "{checks:?} {vals:?}");
                expected.push((n, v));
            }
            // One check first: what is then known of the others is their
            // result (their group's members are known).
            if let Some(&(n, v)) = expected.first() {
                assert_eq!(c.eval(&grouped, n, &mut fill), v);
                for &(m, w) in &expected {
                    if let Some(x) = c.known(&grouped, m) {
                        assert_eq!(x, w, "{checks:?} {vals:?}");
                        known_early += (m != n) as usize;
                    }
                }
            }
        }
    }
    assert!(grouped_checks > 1000, "{grouped_checks} grouped checks");
    assert!(known_early > 1000, "{known_early} members known early");
}

//! Evaluation semantics (LANGUAGE.md part F) on hand-made field values:
//! the evaluator runs over a test double of extraction (a map from field
//! text to values), so each rule of part F is checked in isolation.

use falconer_catalog::{FieldScope, ParsedValue as P};
use falconer_engine::program::{Frame, Program, ACCEPT, REJECT};
use std::collections::HashMap;

fn s(x: &str) -> P {
    P::Str(x.as_bytes().to_vec())
}

fn ip(x: &str) -> P {
    P::Ip(x.parse().unwrap())
}

/// Evaluates `cond` with the given field values (absent = no value) and
/// counts the extractions per field.
fn eval_counting(cond: &str, values: &[(&str, Vec<P>)]) -> (bool, HashMap<String, usize>) {
    let parsed = falconer_syntax::parse_condition(cond);
    assert!(parsed.errors.is_empty(), "{cond}: {:?}", parsed.errors);
    let mut p = Program::new();
    let node = p
        .compile(parsed.expr.as_ref().unwrap(), &FieldScope::falco_default())
        .unwrap_or_else(|e| panic!("{cond}: {e}"));
    let map: HashMap<&str, &Vec<P>> = values.iter().map(|(k, v)| (*k, v)).collect();
    let mut counts: HashMap<String, usize> = HashMap::new();
    let names = p.field_names.clone();
    let mut frame = Frame::new(&p);
    frame.next_event();
    let r = frame.eval(&p, node, &mut |i, out| {
        out.clear();
        *counts.entry(names[i].clone()).or_default() += 1;
        if let Some(v) = map.get(names[i].as_str()) {
            out.extend(v.iter().cloned());
        }
    });
    // The same condition compiled to jumps gives the same result after
    // the same extractions.
    let mut jumps = Vec::new();
    let entry = p.emit(node, ACCEPT, REJECT, &|_| None, &mut jumps);
    let mut counts2: HashMap<String, usize> = HashMap::new();
    let mut frame = Frame::new(&p);
    frame.next_event();
    let r2 = frame.run(&p, &jumps, entry, &mut |i, out| {
        out.clear();
        *counts2.entry(names[i].clone()).or_default() += 1;
        if let Some(v) = map.get(names[i].as_str()) {
            out.extend(v.iter().cloned());
        }
    });
    assert_eq!(r, r2, "{cond}: tree and jumps differ");
    assert_eq!(counts, counts2, "{cond}: extractions differ");
    (r, counts)
}

fn eval(cond: &str, values: &[(&str, Vec<P>)]) -> bool {
    eval_counting(cond, values).0
}

#[test]
fn missing_values_make_every_comparison_false() {
    let none: &[(&str, Vec<P>)] = &[];
    for c in [
        "fd.name = /etc/passwd",
        "fd.name != /etc/passwd",
        "fd.name contains etc",
        "fd.name in (/etc/passwd)",
        "fd.name exists",
        "fd.name glob '*'",
        "fd.name pmatch (/)",
        "fd.name regex '.*'",
        "len(fd.name) = 0",
        "tolower(fd.name) != x",
    ] {
        assert!(!eval(c, none), "{c}");
    }
    assert!(eval("not fd.name = /etc/passwd", none));
    assert!(eval("not fd.name exists", none));
    // A right-hand field without value: false.
    assert!(!eval(
        "proc.name != val(proc.pname)",
        &[("proc.name", vec![s("a")])]
    ));
}

#[test]
fn boolean_short_circuit_and_single_extraction() {
    let v = [
        ("proc.name", vec![s("curl")]),
        ("fd.name", vec![s("/etc/x")]),
    ];
    // `and` stops at the first false: fd.name is never extracted.
    let (r, counts) = eval_counting("proc.name = bash and fd.name = /etc/x", &v);
    assert!(!r);
    assert_eq!(counts.get("fd.name"), None);
    // `or` stops at the first true.
    let (r, counts) = eval_counting("proc.name = curl or fd.name = /etc/x", &v);
    assert!(r);
    assert_eq!(counts.get("fd.name"), None);
    // A field used many times is extracted once per event, transformers
    // included.
    let (r, counts) = eval_counting(
        "proc.name != a and proc.name != b and tolower(proc.name) != c and proc.name in (x, curl) and proc.name = oneof (curl, y)",
        &v,
    );
    assert!(r);
    assert_eq!(counts["proc.name"], 1);
}

#[test]
fn string_operators() {
    let v = [("proc.name", vec![s("Curl-7")])];
    assert!(eval("proc.name = Curl-7", &v));
    assert!(!eval("proc.name = curl-7", &v));
    assert!(eval("proc.name icontains url", &v));
    assert!(!eval("proc.name contains url-8", &v));
    assert!(eval("proc.name contains ''", &v));
    assert!(eval("proc.name startswith Cu", &v));
    assert!(eval("proc.name endswith -7", &v));
    assert!(eval("proc.name glob 'C*-?'", &v));
    assert!(!eval("proc.name glob 'c*'", &v));
    assert!(eval("proc.name iglob 'c*'", &v));
    // Ordering of strings needs a field on the right (the parser wants
    // a number after `<`): byte-wise, as strcmp.
    let w = [
        ("proc.name", vec![s("Curl-7")]),
        ("proc.pname", vec![s("Cz")]),
    ];
    assert!(eval("proc.name < val(proc.pname)", &w));
    assert!(!eval("proc.name >= val(proc.pname)", &w));
    // regex: anchored at both ends.
    assert!(eval("proc.name regex 'Cu.*'", &v));
    assert!(!eval("proc.name regex 'url'", &v));
    assert!(eval("proc.name regex '[A-Z][a-z]+-[0-9]'", &v));
}

#[test]
fn pmatch_is_a_path_prefix_match() {
    let f = |p: &str| [("fd.name", vec![s(p)])];
    assert!(eval("fd.name pmatch (/opt/dir)", &f("/opt/dir/x")));
    assert!(eval("fd.name pmatch (/opt/dir)", &f("/opt/dir")));
    assert!(!eval("fd.name pmatch (/opt/dir)", &f("/opt/dir2")));
    assert!(eval(
        "fd.name pmatch (/opt/*/subdir)",
        &f("/opt/dir/subdir/file")
    ));
    assert!(eval("fd.name pmatch (/opt/)", &f("/opt")));
}

#[test]
fn in_and_modifiers() {
    let v = [("proc.name", vec![s("a")])];
    assert!(eval("proc.name in (a, b)", &v));
    assert!(!eval("proc.name in ()", &v));
    assert!(eval("proc.name intersects (a, b)", &v));
    assert!(eval("proc.name = oneof (a, b)", &v));
    assert!(
        !eval("proc.name = oneof (a, a)", &v),
        "duplicates count separately"
    );
    assert!(eval("proc.name = anyof (c, a)", &v));
    assert!(!eval("proc.name = allof (a, b)", &v));
    assert!(eval("proc.name != allof (b, c)", &v));
    assert!(!eval("proc.name != allof (a, c)", &v));
    assert!(eval("proc.name startswith oneof (x, '')", &v));
    assert!(!eval("proc.name startswith oneof (a, '')", &v));
    assert!(eval("proc.name glob allof ('*', 'a')", &v));
    assert!(eval("proc.name regex anyof ('b', 'a')", &v));
}

#[test]
fn numbers_ports_and_booleans() {
    let v = [
        ("evt.num", vec![P::Uint(42)]),
        ("proc.pid", vec![P::Int(-1)]),
        ("fd.sport", vec![P::Uint(443)]),
        ("evt.is_open_write", vec![P::Bool(true)]),
    ];
    assert!(eval("evt.num = 42 and evt.num > 41 and evt.num <= 42", &v));
    assert!(eval("evt.num in (1, 42)", &v));
    assert!(eval("proc.pid < 0 and proc.pid = -1", &v));
    assert!(eval("fd.sport = https", &v), "service names");
    assert!(eval(
        "evt.is_open_write = true and evt.is_open_write != false",
        &v
    ));
}

#[test]
fn ip_addresses_networks_and_endpoints() {
    let v = [
        ("fd.sip", vec![ip("10.1.2.3")]),
        ("fd.ip", vec![ip("172.17.0.2"), ip("93.184.216.34")]),
        ("fd.port", vec![P::Uint(40000), P::Uint(443)]),
    ];
    assert!(eval("fd.sip = 10.1.2.3", &v));
    assert!(
        eval("fd.sip != ::1", &v),
        "a v4 value never equals a v6 constant"
    );
    assert!(!eval("fd.sip = ::1", &v));
    // Either endpoint for = and in, both for !=.
    assert!(eval("fd.ip = 93.184.216.34", &v));
    assert!(eval("fd.ip in (172.17.0.2)", &v));
    assert!(!eval("fd.ip != 93.184.216.34", &v));
    assert!(eval("fd.ip != 1.1.1.1", &v));
    assert!(eval("fd.port = 443 and fd.port > 1024", &v));
    assert!(!eval("fd.port != 443", &v));
    let n = [("fd.net", vec![ip("172.17.0.2"), ip("93.184.216.34")])];
    assert!(eval("fd.net = 93.0.0.0/8", &n));
    assert!(!eval("fd.net != 93.0.0.0/8", &n));
    let n = [("fd.snet", vec![ip("10.9.8.7")])];
    assert!(eval("fd.snet in (192.168.0.0/16, 10.0.0.0/8)", &n));
    assert!(!eval("fd.snet in (192.168.0.0/16, 11.0.0.0/8)", &n));
    assert!(eval("fd.snet != 192.168.0.0/16", &n));
}

#[test]
fn ancestors_without_index_match_any() {
    let v = [("proc.aname", vec![s("bash"), s("sshd"), s("systemd")])];
    assert!(eval("proc.aname = sshd", &v));
    assert!(eval("proc.aname != sshd", &v), "some ancestor is not sshd");
    assert!(eval("proc.aname in (cron, systemd)", &v));
    assert!(!eval("proc.aname = cron", &v));
}

#[test]
fn list_fields() {
    let v = [("fd.types", vec![s("file"), s("ipv4")])];
    assert!(eval("fd.types in (file, ipv4, unix)", &v));
    assert!(!eval("fd.types in (file)", &v));
    assert!(eval("fd.types intersects (file)", &v));
    assert!(!eval("fd.types intersects (pipe)", &v));
    assert!(eval("len(fd.types) = 2", &v));
    assert!(eval("join(',', fd.types) = 'file,ipv4'", &v));
}

#[test]
fn transformers_and_field_comparisons() {
    let v = [
        ("proc.name", vec![s("Bash")]),
        ("proc.pname", vec![s("bash")]),
        ("fd.name", vec![s("/usr/bin/Bash")]),
        ("proc.cmdline", vec![s("aGVsbG8=")]),
    ];
    assert!(eval("tolower(proc.name) = val(proc.pname)", &v));
    assert!(eval("proc.name != val(proc.pname)", &v));
    assert!(eval("toupper(proc.name) = BASH", &v));
    assert!(eval("basename(fd.name) = val(proc.name)", &v));
    assert!(eval("len(proc.name) = 4", &v));
    assert!(eval("b64(proc.cmdline) = hello", &v));
    assert!(
        !eval("b64(proc.name) exists", &[("proc.name", vec![s("!!")])]),
        "b64 failure"
    );
    assert!(eval("concat(proc.pname, '-', proc.name) = 'bash-Bash'", &v));
    assert!(eval("tolower(proc.name) in val(proc.pname)", &v));
    assert!(eval("tolower(\"ABC\") = abc", &[]));
}

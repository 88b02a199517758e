//! Property tests: `State::apply` and every extractor on arbitrary and
//! corrupted event sequences never panic, and the state stays bounded.

use std::net::{Ipv4Addr, Ipv6Addr};

use falconer_catalog::{catalog, ArgForm, ArgRequirement, FieldScope, ParsedValue};
use falconer_scap::state::{fd::MAX_FD_TABLE_SIZE, State, MAX_THREADS};
use falconer_scap::{encode, Event, ParamValue as V, ScapReader, SockAddr, SockTuple};
use proptest::prelude::*;

use super::{EventCtx, FieldExtractor};
use crate::capgen::Rng;

/// Every field the engine extracts, with sample arguments for the fields
/// that take one.
pub(crate) fn all_extractors() -> Vec<(String, FieldExtractor)> {
    let scope = FieldScope::falco_default();
    let mut out = Vec::new();
    for f in catalog().fields() {
        if !scope.sees(f) {
            continue;
        }
        let mut texts = Vec::new();
        if f.arg != ArgRequirement::Required {
            texts.push(f.name.to_string());
        }
        for form in f.arg_forms {
            let args: Vec<String> = match form {
                ArgForm::BracketIndex => ["0", "1", "2", "7"].map(|a| format!("[{a}]")).to_vec(),
                ArgForm::BracketKey => ["PATH", "HOME", "fd", "app"]
                    .map(|a| format!("[{a}]"))
                    .to_vec(),
                ArgForm::DotEventParam => [
                    "fd", "name", "res", "flags", "addr", "tuple", "data", "uid", "path", "exe",
                ]
                .map(|a| format!(".{a}"))
                .to_vec(),
                ArgForm::DotEventType => ["open", "execve", "connect"]
                    .map(|a| format!(".{a}"))
                    .to_vec(),
                ArgForm::DotEnum(words) => words.iter().map(|w| format!(".{w}")).collect(),
                ArgForm::DotCgroupSubsystem => [".cpuset", ".memory"].map(String::from).to_vec(),
            };
            texts.extend(args.into_iter().map(|a| format!("{}{a}", f.name)));
        }
        for t in texts {
            if let Ok(r) = catalog().resolve_text(&t, &scope) {
                if let Ok(x) = FieldExtractor::new(&r) {
                    out.push((t, x));
                }
            }
        }
    }
    out
}

/// Event codes that change the state: most generated events use one.
const HOT: &[u16] = &[
    4, 5, 6, 7, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 30, 31, 34, 35, 42, 43, 60, 61, 62, 63, 94,
    95, 96, 97, 124, 125, 150, 151, 186, 198, 199, 222, 223, 224, 225, 226, 227, 248, 249, 272,
    274, 275, 292, 293, 302, 303, 306, 307, 330, 331, 334, 335, 362, 363, 364, 365, 366, 367, 388,
    389, 392, 393, 404, 405, 451, 152, 153, 324, 228, 402,
];

const TIDS: &[u64] = &[1, 2, 3, 100, 101, 1000, 1001, 1002, 2000, 4242, 0, u64::MAX];

const STRINGS: &[&[u8]] = &[
    b"",
    b"/etc/passwd",
    b"relative/../x",
    b"/",
    b"..",
    b"a\0b\0c\0",
    b"cpuset=/docker/3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e\0cpu=/\0",
    b"cpuset=/kubepods/pod1/crio-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0",
    b"HOME=/root\0PATH=/bin\0",
    b"{\"container\":{\"id\":\"3ad7b26ded6d\",\"type\":0,\"name\":\"x\",\"ip\":\"10.0.0.1\"}}",
    b"{\"container\":{\"id\":",
    b"\xff\xfe\x00\x01",
    b"/tmp/\xc3\x28bad-utf8",
];

/// A value for a parameter: one of many candidates, encoded with the
/// parameter's type when it fits; raw bytes otherwise.
fn param_bytes(rng: &mut Rng, ty: Option<falconer_catalog::FieldType>) -> Vec<u8> {
    let ints = [
        0i64,
        1,
        -1,
        2,
        3,
        4,
        5,
        9,
        -2,
        -100,
        1000,
        1001,
        2000,
        4242,
        i64::MIN,
        i64::MAX,
    ];
    let k = *rng.pick(&ints);
    let s = *rng.pick(STRINGS);
    let candidates = [
        V::Int(k),
        V::Uint(k as u64),
        V::Fd(k),
        V::Pid(k),
        V::Errno(k),
        V::Flags(k as u32),
        V::Uid(k as u32),
        V::Gid(k as u32),
        V::Mode(k as u32),
        V::Bool(k & 1 == 1),
        V::RelTime(k as u64),
        V::AbsTime(k as u64),
        V::Str(s),
        V::Bytes(s),
        V::SockAddr(SockAddr::Inet {
            ip: Ipv4Addr::new(10, 0, 0, (k & 0xff) as u8),
            port: k as u16,
        }),
        V::SockAddr(SockAddr::Unix { path: s }),
        V::SockAddr(SockAddr::Inet6 {
            ip: Ipv6Addr::LOCALHOST,
            port: 443,
        }),
        V::SockTuple(SockTuple::Inet {
            sip: Ipv4Addr::new(10, 0, 0, 5),
            sport: k as u16,
            dip: Ipv4Addr::new(93, 184, 216, 34),
            dport: 80,
        }),
        V::SockTuple(SockTuple::Inet6 {
            sip: Ipv6Addr::LOCALHOST,
            sport: 1,
            dip: "::ffff:10.0.0.1".parse().unwrap(),
            dport: 2,
        }),
        V::SockTuple(SockTuple::Unix {
            source: k as u64,
            dest: 7,
            path: s,
        }),
    ];
    if let Some(ty) = ty {
        let start = rng.below(candidates.len() as u64) as usize;
        for i in 0..candidates.len() {
            let c = &candidates[(start + i) % candidates.len()];
            if let Some(b) = encode(ty, c) {
                return b;
            }
        }
    }
    let n = rng.below(24) as usize;
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// One generated event. `mode`: 0–1 well-formed layout, 2 shorter or
/// longer layout, 3 corrupted bytes.
fn make_event(code_pick: u16, tid_pick: u8, seed: u64, mode: u8, ts: u64) -> Event {
    let mut rng = Rng::new(seed);
    let code = if rng.chance(75) {
        HOT[code_pick as usize % HOT.len()]
    } else {
        code_pick
    };
    let tid = TIDS
        .get(tid_pick as usize)
        .copied()
        .unwrap_or_else(|| rng.below(5000));
    let layout = catalog().event(code).map(|e| e.params).unwrap_or(&[]);
    let mut n = layout.len();
    if mode == 2 || layout.is_empty() {
        n = rng.below(n as u64 + 4) as usize;
    }
    let mut params: Vec<Vec<u8>> = (0..n)
        .map(|i| param_bytes(&mut rng, layout.get(i).map(|p| p.ty)))
        .collect();
    if mode == 3 {
        for p in params.iter_mut() {
            if rng.chance(50) {
                let cut = rng.below(p.len() as u64 + 1) as usize;
                p.truncate(cut);
            }
            if !p.is_empty() && rng.chance(50) {
                let i = rng.below(p.len() as u64) as usize;
                p[i] ^= 1 << rng.below(8);
            }
        }
    }
    let refs: Vec<&[u8]> = params.iter().map(Vec::as_slice).collect();
    let mut ev = Event::new(code, ts, tid, (seed % 4) as u16, &refs);
    ev.num = ts;
    ev
}

fn scenario_state() -> State {
    let r = ScapReader::new(std::io::Cursor::new(super::scenario::realistic_capture())).unwrap();
    State::from_reader_metadata(&r)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn state_and_every_extractor_never_panic(
        seeded in any::<bool>(),
        evs in prop::collection::vec((any::<u16>(), 0u8..16, any::<u64>(), 0u8..4), 1..160),
    ) {
        let exs = all_extractors();
        let mut state = if seeded { scenario_state() } else { State::new() };
        let mut out = Vec::new();
        for (i, (code, tid, seed, mode)) in evs.into_iter().enumerate() {
            let ev = make_event(code % 480, tid, seed, mode, 1_000 + i as u64 * 10);
            state.apply(&ev);
            let ctx = EventCtx::new(&ev, &state);
            for (_, x) in &exs {
                x.extract(&ctx, &mut out);
                x.extract_for_output(&ctx, &mut out);
            }
        }
        prop_assert!(state.thread_count() <= MAX_THREADS);
    }
}

/// The realistic scenario with events dropped, duplicated, moved and
/// corrupted: deep state paths (clone, execve, fds, sockets, containers)
/// with broken invariants.
fn mutate_scenario(ops: &[(u8, u16, u64)]) -> (State, Vec<Event>) {
    let (r, mut evs) = super::scenario::realistic_events();
    let state = State::from_reader_metadata(&r);
    for &(op, at, seed) in ops {
        if evs.is_empty() {
            break;
        }
        let i = at as usize % evs.len();
        let mut rng = Rng::new(seed);
        match op % 5 {
            0 => {
                evs.remove(i);
            }
            1 => {
                let e = evs[i].clone();
                evs.insert(rng.below(evs.len() as u64) as usize, e);
            }
            2 => {
                let j = rng.below(evs.len() as u64) as usize;
                evs.swap(i, j);
            }
            3 => {
                // Corrupt one parameter of the event.
                let e = &evs[i];
                let mut params: Vec<Vec<u8>> = (0..e.nparams())
                    .map(|k| e.param(k).map(|p| p.raw.to_vec()).unwrap_or_default())
                    .collect();
                if let Some(p) = params.get_mut(rng.below(e.nparams().max(1) as u64) as usize) {
                    if p.is_empty() || rng.chance(30) {
                        *p = param_bytes(&mut rng, None);
                    } else {
                        let k = rng.below(p.len() as u64) as usize;
                        p[k] = rng.next_u64() as u8;
                        let cut = rng.below(p.len() as u64 + 1) as usize;
                        if rng.chance(30) {
                            p.truncate(cut);
                        }
                    }
                }
                let refs: Vec<&[u8]> = params.iter().map(Vec::as_slice).collect();
                let mut ne = Event::new(e.code, e.ts, e.tid, e.cpu, &refs);
                ne.num = e.num;
                evs[i] = ne;
            }
            _ => {
                // Another thread id.
                evs[i].tid = *rng.pick(TIDS);
            }
        }
    }
    (state, evs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mutated_scenario_never_panics(
        ops in prop::collection::vec((any::<u8>(), any::<u16>(), any::<u64>()), 0..40),
    ) {
        let exs = all_extractors();
        let (mut state, evs) = mutate_scenario(&ops);
        let mut out = Vec::new();
        for ev in &evs {
            state.apply(ev);
            let ctx = EventCtx::new(ev, &state);
            for (_, x) in &exs {
                x.extract(&ctx, &mut out);
            }
        }
        prop_assert!(state.thread_count() <= MAX_THREADS);
    }
}

#[test]
fn every_catalog_field_is_compiled_or_refused_with_a_reason() {
    let exs = all_extractors();
    // The syscall fields and the container plugin's: several hundred.
    assert!(exs.len() > 300, "{}", exs.len());
    for probe in [
        "proc.name",
        "fd.name",
        "evt.arg.fd",
        "proc.aname[2]",
        "container.id",
        "user.name",
    ] {
        assert!(exs.iter().any(|(t, _)| t == probe), "{probe} missing");
    }
}

/// A clone exit in the child for `tid`.
fn clone_child(tid: i64, ts: u64) -> Event {
    Event::from_values(
        223,
        ts,
        tid as u64,
        0,
        &[
            V::Pid(0),
            V::Str(b"worker"),
            V::Bytes(b"--serve\0"),
            V::Pid(tid),
            V::Pid(tid),
            V::Pid(1),
            V::Str(b"/srv"),
            V::Int(1024),
            V::Uint(0),
            V::Uint(0),
            V::Uint(0),
            V::Uint(0),
            V::Uint(0),
            V::Str(b"worker"),
            V::Bytes(b"cpuset=/\0"),
            V::Flags(0),
            V::Uint(0),
            V::Uint(0),
            V::Pid(tid),
            V::Pid(tid),
        ],
    )
    .unwrap()
}

fn openat_exit(tid: i64, fd: i64, ts: u64) -> Event {
    Event::from_values(
        307,
        ts,
        tid as u64,
        0,
        &[
            V::Fd(fd),
            V::Fd(-100),
            V::Str(b"/var/lib/data/file"),
            V::Flags(1),
            V::Uint(0),
            V::Uint(0),
        ],
    )
    .unwrap()
}

/// Threads that never exit and a process opening fds forever: the tables
/// stop at their bounds, and memory with them.
#[test]
fn tables_are_bounded() {
    let mut s = State::new();
    let mut ts = 1;
    for tid in 10..(10 + MAX_THREADS as i64 + 5_000) {
        ts += 1;
        s.apply(&clone_child(tid, ts));
    }
    assert!(s.thread_count() <= MAX_THREADS, "{}", s.thread_count());
    let per_thread = s.approx_heap_bytes() / s.thread_count();
    assert!(per_thread < 4096, "{per_thread} bytes per thread");
    // procexit frees them (the removal happens at the next event).
    let before = s.thread_count();
    for tid in 10..1010 {
        ts += 1;
        let ev = Event::from_values(186, ts, tid as u64, 0, &[V::Errno(0)]).unwrap();
        s.apply(&ev);
    }
    ts += 1;
    s.apply(&openat_exit(5, 3, ts));
    assert!(
        s.thread_count() <= before - 999,
        "{} of {before}",
        s.thread_count()
    );

    let mut s = State::new();
    s.apply(&clone_child(7, 1));
    for fd in 0..(MAX_FD_TABLE_SIZE as i64 * 3) {
        s.apply(&openat_exit(7, fd, 2 + fd as u64));
    }
    let t = s.thread(7).unwrap();
    let n = s.fd_table(t).map_or(0, |f| f.len());
    assert!(n <= MAX_FD_TABLE_SIZE, "{n}");
    assert!(n > 0);
}

/// Extraction after every event of a long generated capture keeps working
/// and the state does not grow with the number of events.
#[test]
fn long_generated_capture_keeps_state_small() {
    let mut buf = Vec::new();
    crate::capgen::write_capture(
        &mut buf,
        &crate::capgen::GenConfig {
            events: 60_000,
            ..crate::capgen::GenConfig::default()
        },
    )
    .unwrap();
    let mut r = ScapReader::new(std::io::Cursor::new(buf)).unwrap();
    let mut s = State::from_reader_metadata(&r);
    let name = extractor_of("proc.name");
    let mut out = Vec::new();
    let mut max_threads = 0;
    let mut named = 0u64;
    while let Some(ev) = r.next_event() {
        let ev = ev.unwrap();
        s.apply(&ev);
        name.extract(&EventCtx::new(&ev, &s), &mut out);
        named += u64::from(matches!(out.first(), Some(ParsedValue::Str(_))));
        max_threads = max_threads.max(s.thread_count());
    }
    // Every child exits: the table holds the long-lived processes and a
    // few children at a time.
    assert!(max_threads < 40, "{max_threads}");
    assert!(named > 50_000, "{named}");
}

fn extractor_of(field: &str) -> FieldExtractor {
    let r = catalog()
        .resolve_text(field, &FieldScope::falco_default())
        .unwrap();
    FieldExtractor::new(&r).unwrap()
}

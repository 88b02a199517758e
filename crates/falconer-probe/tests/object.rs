//! The committed kernel object (`bpf/probe.bpf.o`, used on machines
//! without clang) must be built from the current C sources.
//!
//! - Always: the stamp's source hash equals the hash of the sources, and
//!   its object hash the committed object's.
//! - With clang and llvm-strip of the stamp's clang version: rebuilding
//!   gives the committed bytes.
//!
//! After changing the C sources: `FALCONER_PROBE_BLESS=1 cargo test -p
//! falconer-probe --test object` rebuilds the object and rewrites the
//! stamp (needs clang).

#[path = "../bpf/compile.rs"]
mod compile;

use std::path::PathBuf;

fn bpf_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bpf")
}

fn bless() -> bool {
    std::env::var("FALCONER_PROBE_BLESS").is_ok_and(|v| v == "1")
}

#[test]
fn sha256_known_answers() {
    assert_eq!(
        compile::hex(&compile::sha256(b"")),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        compile::hex(&compile::sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let long = vec![b'a'; 1000];
    assert_eq!(
        compile::hex(&compile::sha256(&long)),
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
    );
}

#[test]
fn committed_object_matches_the_sources() {
    let dir = bpf_dir();
    if bless() {
        let (Some(clang), Some(strip)) = (compile::find_clang(), compile::find_strip()) else {
            panic!("FALCONER_PROBE_BLESS=1 needs clang and llvm-strip");
        };
        let out = dir.join(compile::OBJECT);
        compile::compile(&dir, &out, &clang, &strip).unwrap();
        let obj = std::fs::read(&out).unwrap();
        let stamp = compile::Stamp {
            sources_sha256: compile::sources_hash(&dir).unwrap(),
            object_sha256: compile::hex(&compile::sha256(&obj)),
            clang: compile::clang_version(&clang),
        };
        std::fs::write(dir.join(compile::STAMP), stamp.render()).unwrap();
        eprintln!("blessed: {}", stamp.render());
    }
    let stamp_text = std::fs::read_to_string(dir.join(compile::STAMP))
        .expect("bpf/probe.bpf.o.stamp is committed");
    let stamp = compile::Stamp::parse(&stamp_text).unwrap();
    let sources = compile::sources_hash(&dir).unwrap();
    assert_eq!(
        stamp.sources_sha256, sources,
        "the C sources changed since bpf/probe.bpf.o was built: rebuild it with \
         FALCONER_PROBE_BLESS=1 cargo test -p falconer-probe --test object"
    );
    let obj = std::fs::read(dir.join(compile::OBJECT)).expect("bpf/probe.bpf.o is committed");
    assert_eq!(
        stamp.object_sha256,
        compile::hex(&compile::sha256(&obj)),
        "bpf/probe.bpf.o is not the object the stamp describes"
    );
    assert!(obj.len() < 200_000, "object is {} bytes", obj.len());
    assert_eq!(&obj[..4], b"\x7fELF");

    // Rebuild and compare when the same compiler is here.
    let (Some(clang), Some(strip)) = (compile::find_clang(), compile::find_strip()) else {
        eprintln!("skipped rebuild comparison: clang or llvm-strip not installed");
        return;
    };
    let version = compile::clang_version(&clang);
    if version != stamp.clang {
        eprintln!(
            "skipped byte comparison: committed object built with '{}', this machine has '{version}'",
            stamp.clang
        );
        // A different compiler must still compile the sources.
        let tmp = std::env::temp_dir().join(format!("falconer-probe-{}.o", std::process::id()));
        compile::compile(&dir, &tmp, &clang, &strip).unwrap();
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    let tmp = std::env::temp_dir().join(format!("falconer-probe-{}.o", std::process::id()));
    compile::compile(&dir, &tmp, &clang, &strip).unwrap();
    let rebuilt = std::fs::read(&tmp).unwrap();
    let _ = std::fs::remove_file(&tmp);
    assert!(
        rebuilt == obj,
        "rebuilding bpf/probe.bpf.o from the sources gives different bytes: rebuild it with \
         FALCONER_PROBE_BLESS=1 cargo test -p falconer-probe --test object"
    );
}

#[test]
fn the_embedded_object_is_the_committed_one_or_built_from_the_same_sources() {
    if bless() {
        // The committed object is being rewritten by the other test.
        return;
    }
    let embedded = falconer_probe::loader::OBJECT;
    let committed = std::fs::read(bpf_dir().join(compile::OBJECT)).unwrap();
    match falconer_probe::loader::OBJECT_ORIGIN {
        "committed" => assert!(embedded == committed.as_slice()),
        "compiled" => {
            // Same sources (the build compiled the current files); the
            // bytes match when the compiler is the stamp's.
            let stamp = compile::Stamp::parse(
                &std::fs::read_to_string(bpf_dir().join(compile::STAMP)).unwrap(),
            )
            .unwrap();
            let same_clang = compile::find_clang()
                .map(|c| compile::clang_version(&c) == stamp.clang)
                .unwrap_or(false);
            if same_clang {
                assert!(embedded == committed.as_slice());
            }
        }
        other => panic!("unknown origin {other}"),
    }
}

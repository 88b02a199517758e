//! Builds the kernel object: compiled from `bpf/probe.bpf.c` when clang
//! (and llvm-strip, and libbpf's headers) are installed, otherwise the
//! committed `bpf/probe.bpf.o` (built from the same sources; the test
//! `tests/object.rs` checks the two agree). `FALCONER_PROBE_PREBUILT=1`
//! forces the committed object.
//!
//! The build tells the crate which one it used through the
//! `FALCONER_PROBE_OBJECT_ORIGIN` environment variable (`compiled` or
//! `committed`).

#[path = "bpf/compile.rs"]
mod compile;

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let bpf = manifest.join("bpf");
    for s in compile::SOURCES {
        println!("cargo:rerun-if-changed=bpf/{s}");
    }
    println!("cargo:rerun-if-changed=bpf/{}", compile::OBJECT);
    println!("cargo:rerun-if-changed=bpf/compile.rs");
    println!("cargo:rerun-if-env-changed=FALCONER_PROBE_PREBUILT");
    let out = out_dir.join("probe.bpf.o");

    let forced = std::env::var("FALCONER_PROBE_PREBUILT").is_ok_and(|v| v == "1");
    let tools = if forced {
        None
    } else {
        compile::find_clang().zip(compile::find_strip())
    };
    let mut origin = "committed";
    if let Some((clang, strip)) = tools {
        match compile::compile(&bpf, &out, &clang, &strip) {
            Ok(()) => origin = "compiled",
            Err(e) => {
                for line in e.lines().take(20) {
                    println!("cargo:warning={line}");
                }
                println!(
                    "cargo:warning=falconer-probe: compiling the kernel object failed; using the committed bpf/{}",
                    compile::OBJECT
                );
            }
        }
    }
    if origin == "committed" {
        std::fs::copy(bpf.join(compile::OBJECT), &out).unwrap_or_else(|e| {
            panic!(
                "falconer-probe: no clang to compile the kernel object and no committed bpf/{}: {e}",
                compile::OBJECT
            )
        });
    }
    println!("cargo:rustc-env=FALCONER_PROBE_OBJECT_ORIGIN={origin}");
}

//! Embeds every `docs/diagnostics/<code>.md` page for `falconer explain`.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dir = manifest.join("../../docs/diagnostics");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut pages: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "md") {
                let stem = p.file_stem().unwrap().to_string_lossy().to_string();
                if stem != "README" {
                    println!("cargo:rerun-if-changed={}", p.display());
                    pages.push((stem, p.canonicalize().unwrap()));
                }
            }
        }
    }
    pages.sort();
    let mut out = String::from("/// Diagnostic documentation pages: (code, markdown).\npub static PAGES: &[(&str, &str)] = &[\n");
    for (code, path) in &pages {
        writeln!(
            out,
            "    ({code:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("docs.rs");
    std::fs::write(dest, out).unwrap();
}

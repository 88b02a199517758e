//! ARCHITECTURE.md must stay a true code map: every crate it names exists,
//! and every crate of the workspace is named in it.

use std::path::Path;

#[test]
fn architecture_names_every_crate_and_only_real_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut crates: Vec<String> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    for c in &crates {
        assert!(
            doc.contains(&format!("crates/{c}`")),
            "ARCHITECTURE.md has no section for crates/{c}"
        );
    }
    for (i, _) in doc.match_indices("### `crates/") {
        let rest = &doc[i + "### `crates/".len()..];
        let name = &rest[..rest.find('`').unwrap()];
        assert!(
            crates.iter().any(|c| c == name),
            "ARCHITECTURE.md names crates/{name}, which does not exist"
        );
    }
}

#[test]
fn every_diagnostic_code_has_a_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for c in falconer_analysis::CODES {
        let page = root.join(format!("docs/diagnostics/{}.md", c.code));
        let text = std::fs::read_to_string(&page)
            .unwrap_or_else(|_| panic!("missing page {}", page.display()));
        assert!(
            text.starts_with(&format!("# {}\n", c.code)),
            "{}",
            page.display()
        );
    }
}

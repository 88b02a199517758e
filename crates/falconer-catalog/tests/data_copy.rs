//! Our copy of the catalog data (`data/`) must stay byte-identical with the
//! shared catalog it was copied from, whenever that catalog is present.

use std::path::{Path, PathBuf};

const FILES: [&str; 6] = [
    "fields.json",
    "events.json",
    "evt_type_names.txt",
    "evt_type_names_plugin_async.txt",
    "evt_type_names.json",
    "evt_param_names.json",
];

fn shared_catalog() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/falconer-catalog -> repository root
    let repo_root = manifest.parent()?.parent()?;
    [
        PathBuf::from("/work/shared/catalog"),
        repo_root.join("../shared/catalog"),
    ]
    .into_iter()
    .find(|p| p.join("fields.json").is_file())
}

#[test]
fn data_copy_matches_shared_catalog() {
    let Some(shared) = shared_catalog() else {
        println!(
            "shared catalog not found (/work/shared/catalog or ../shared/catalog): \
             skipping the data copy check"
        );
        return;
    };
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    for f in FILES {
        let a = std::fs::read(ours.join(f)).unwrap_or_else(|e| panic!("data/{f}: {e}"));
        let b = std::fs::read(shared.join(f))
            .unwrap_or_else(|e| panic!("{}: {e}", shared.join(f).display()));
        assert!(
            a == b,
            "data/{f} differs from {}: copy the shared catalog again",
            shared.join(f).display()
        );
    }
}

#[test]
fn data_readme_and_descriptions_exist() {
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    assert!(ours.join("README.md").is_file());
    assert!(ours.join("descriptions.tsv").is_file());
}

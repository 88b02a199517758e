//! Snapshot tests of diagnostics over small fixtures.
//!
//! Each `fixtures/<case>.yaml` is one rules file; each `fixtures/<case>/`
//! directory is a workspace whose `*.yaml` files load in sorted order
//! (files named `*.extra.yaml` are workspace files outside the load order). A
//! first line `# falconer: no-default-plugins` or
//! `# falconer: plugins=k8saudit,json` or `# falconer: engine=0.40.0`
//! adjusts the config. The snapshot lists every diagnostic with its code,
//! Falco code, 1-based position and the exact source text it points at.
//! Regenerate with `INSTA_UPDATE=always cargo test -p falconer-analysis`
//! and review the diff.

use falconer_analysis::{AnalysisHost, Config};
use falconer_text::{Encoding, LineIndex};
use std::path::{Path, PathBuf};

fn config_for(first_line: &str) -> Config {
    let mut cfg = Config::default();
    if let Some(rest) = first_line.strip_prefix("# falconer:") {
        for opt in rest.split_whitespace() {
            if opt == "no-default-plugins" {
                cfg.default_plugins = false;
            } else if let Some(p) = opt.strip_prefix("plugins=") {
                cfg.plugins = p.split(',').map(String::from).collect();
            } else if let Some(v) = opt.strip_prefix("engine=") {
                let p: Vec<u32> = v.split('.').map(|x| x.parse().unwrap()).collect();
                cfg.engine_version = (p[0], p[1], p[2]);
            }
        }
    }
    cfg
}

/// Renders the diagnostics of a workspace as stable text.
pub fn render_case(all: &[(String, String)], cfg: Config) -> String {
    let (extra, loaded): (Vec<_>, Vec<_>) = all
        .iter()
        .cloned()
        .partition(|(p, _)| p.ends_with(".extra.yaml"));
    let mut host = AnalysisHost::new(cfg);
    host.set_files(loaded.clone());
    host.set_extra_files(extra.clone());
    let files: Vec<(String, String)> = loaded.into_iter().chain(extra).collect();
    let mut out = String::new();
    for d in host.diagnostics().iter() {
        let (path, text) = &files[d.loc.file as usize];
        let idx = LineIndex::new(text);
        let s = idx.line_col(text, d.loc.span.start, Encoding::Chars);
        let e = idx.line_col(text, d.loc.span.end, Encoding::Chars);
        out.push_str(&format!(
            "{}[{}]{} {}:{}:{}-{}:{} {}\n",
            d.severity.as_str(),
            d.code,
            d.falco_code()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            path,
            s.line + 1,
            s.col + 1,
            e.line + 1,
            e.col + 1,
            d.message
        ));
        let snippet = text
            .get(d.loc.span.range())
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("");
        out.push_str(&format!("    at: {snippet:?}\n"));
        if let Some(sug) = &d.suggestion {
            out.push_str(&format!(
                "    fix: {} -> {:?}\n",
                sug.message, sug.replacement
            ));
        }
        for r in &d.related {
            out.push_str(&format!(
                "    related: {} ({})\n",
                r.message, files[r.loc.file as usize].0
            ));
        }
    }
    if out.is_empty() {
        out.push_str("(no diagnostics)\n");
    }
    out
}

fn load_case(path: &Path) -> Vec<(String, String)> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|f| {
                (
                    f.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&f).unwrap(),
                )
            })
            .collect()
    } else {
        vec![(
            path.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read_to_string(path).unwrap(),
        )]
    }
}

#[test]
fn diagnostics_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let files = load_case(&case);
        let first = files
            .iter()
            .find(|(p, _)| !p.ends_with(".extra.yaml"))
            .map(|f| f.1.lines().next().unwrap_or("").to_string())
            .unwrap_or_default();
        let rendered = render_case(&files, config_for(&first));
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        insta::with_settings!({snapshot_suffix => name.clone(), prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("diag", rendered);
        });
    }
}

/// Every code in the registry is exercised by at least one fixture.
#[test]
fn every_code_has_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut all = String::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            all.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    let missing: Vec<&str> = falconer_analysis::CODES
        .iter()
        .map(|c| c.code)
        .filter(|c| !all.contains(&format!("[{c}]")))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

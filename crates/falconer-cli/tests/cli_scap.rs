//! `falconer scap dump`: JSON lines for a capture, clear errors otherwise.

use std::path::Path;
use std::process::Command;

fn falconer(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_falconer"))
        .args(args)
        .output()
        .expect("running falconer")
}

fn shared_capture() -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/captures/falco-trace-files/cat_write.scap");
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipping: {} is not here", p.display());
        None
    }
}

#[test]
fn dumps_every_event_as_json_lines() {
    let Some(cap) = shared_capture() else { return };
    let out = falconer(&["scap", "dump", cap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 345);
    for (i, l) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["num"], (i + 1) as u64);
        assert!(v["type"].is_string() && v["params"].is_object());
    }
}

#[test]
fn truncated_capture_prints_events_then_fails_with_offset() {
    let Some(cap) = shared_capture() else { return };
    let bytes = std::fs::read(&cap).unwrap();
    let dir = std::env::temp_dir().join(format!("falconer-scap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.scap");
    // Cut among the events: the events before the cut are printed.
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let out = falconer(&["scap", "dump", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("offset"), "{err}");
    // Cut inside the metadata blocks: no event can be read; still a clear
    // error with the offset, never a panic.
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let out = falconer(&["scap", "dump", cut.to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(1 | 2)));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("offset"), "{err}");
    let missing = falconer(&["scap", "dump", dir.join("none.scap").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

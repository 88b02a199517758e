//! Shared helpers of the integration tests: where the reference captures
//! live, and what we know about each.

#![allow(dead_code)]

use std::path::PathBuf;

/// `/work/shared/captures`, resolved as `<repo>/../shared/captures`.
pub fn captures_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures");
    dir.is_dir().then_some(dir)
}

/// Prints the skip message and returns `None` when the captures are absent.
pub fn captures_or_skip(test: &str) -> Option<PathBuf> {
    let d = captures_dir();
    if d.is_none() {
        eprintln!(
            "{test}: skipped: ../shared/captures (relative to the repository root) is absent"
        );
    }
    d
}

/// A reference capture and what reading it must give.
pub struct Capture {
    pub path: &'static str,
    pub events: u64,
    /// The process-list generation of its process list.
    pub pl_version: u8,
    /// Whether its events are in v1 blocks (no nparams).
    pub v1_events: bool,
    /// Whether Debian's sysdig 0.29.3 reads it.
    pub sysdig_reads: bool,
}

const fn c(path: &'static str, events: u64, pl_version: u8, v1_events: bool) -> Capture {
    Capture {
        path,
        events,
        pl_version,
        v1_events,
        sysdig_reads: true,
    }
}

pub const CAPTURES: [Capture; 14] = [
    c("falco-trace-files/cat_write.scap", 345, 6, true),
    c("falco-trace-files/connect_localhost.scap", 374, 7, true),
    c("falco-trace-files/empty.scap", 143, 9, false),
    c("falco-trace-files/open-multiple-files.scap", 1272, 6, true),
    c("falco-trace-files/ping_sendto.scap", 1526, 9, false),
    c("falco-trace-files/psp_privileged.scap", 2059, 9, false),
    c(
        "falco-trace-files/psp_run_as_user_0_container.scap",
        4143,
        9,
        false,
    ),
    c(
        "falco-trace-files/psp_run_as_user_65534_container.scap",
        241,
        9,
        false,
    ),
    c("falco-trace-files/psp_write_tmp_test.scap", 229, 9, false),
    c("falco-trace-files/syscall.scap", 368, 8, true),
    c("libs/curl_google.scap", 1536, 5, true),
    // The section header carries pcapng options, which libs 2022 cannot
    // skip ("expecting 4 bytes, read 0"); current libs and we skip them.
    Capture {
        sysdig_reads: false,
        ..c("libs/curl_google_comments.scap", 1536, 5, true)
    },
    c("libs/single_ipv6_conn.scap", 1728, 9, false),
    c("libs/test_ipv6_client.scap", 326, 5, true),
];

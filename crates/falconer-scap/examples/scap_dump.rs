//! `cargo run -p falconer-scap --example scap_dump -- FILE.scap [--meta]`:
//! prints every event of a capture as a JSON line (and, with `--meta`, a
//! summary of the metadata blocks on stderr).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: dump FILE.scap [--meta]");
        return ExitCode::from(2);
    };
    let meta = args.any(|a| a == "--meta");
    let mut reader = match falconer_scap::ScapReader::open(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if meta {
        let h = reader.header();
        eprintln!(
            "section {}.{} gzip={} machine={:?} processes={} fd-lists={} interfaces={} users={}",
            h.major,
            h.minor,
            reader.is_gzip(),
            reader.machine_info().map(|m| m.hostname.as_str()),
            reader.processes().len(),
            reader.fds().len(),
            reader.interfaces().len(),
            reader.users().map_or(0, |u| u.users.len()),
        );
    }
    let stdout = std::io::stdout().lock();
    match falconer_scap::dump::dump(&mut reader, stdout) {
        Ok(n) => {
            if meta {
                eprintln!("{n} events, {} skipped", reader.skipped_events());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}

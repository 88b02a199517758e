//! Writes a generated capture: `cargo run -p falconer-engine --example
//! gen_capture -- OUT.scap [EVENTS] [SEED]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(out) = args.get(1) else {
        eprintln!("usage: gen_capture OUT.scap [EVENTS] [SEED]");
        std::process::exit(2);
    };
    let events = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let file = std::fs::File::create(out).unwrap_or_else(|e| {
        eprintln!("{out}: {e}");
        std::process::exit(2);
    });
    let cfg = falconer_engine::capgen::GenConfig {
        seed,
        events,
        ..Default::default()
    };
    match falconer_engine::capgen::write_capture(std::io::BufWriter::new(file), &cfg) {
        Ok(n) => println!("{out}: {n} events"),
        Err(e) => {
            eprintln!("{out}: {e}");
            std::process::exit(1);
        }
    }
}

//! Times `falconer_yaml::parse` on files:
//! `cargo run --release -p falconer-yaml --example yaml_bench -- [-n N] [--slow|--items] FILE...`.
//! `--slow` times the saphyr path only (no fast path); `--items` times
//! `split_items` plus `parse_item` of the middle item (an edit).

use std::time::Instant;

fn main() {
    let mut n = 20usize;
    let mut slow = false;
    let mut items = false;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-n" => n = args.next().and_then(|v| v.parse().ok()).unwrap_or(n),
            "--slow" => slow = true,
            "--items" => items = true,
            _ => files.push(a),
        }
    }
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        };
        let mut best = f64::MAX;
        let mut total = 0.0;
        let mut nodes = 0;
        for _ in 0..n.max(1) {
            if items {
                let t = Instant::now();
                let ranges = falconer_yaml::split_items(&text).unwrap_or_default();
                let item = ranges
                    .get(ranges.len() / 2)
                    .and_then(|r| falconer_yaml::parse_item(&text, r.clone()));
                let dt = t.elapsed().as_secs_f64() * 1e3;
                nodes = ranges.len();
                best = best.min(dt);
                total += dt;
                std::hint::black_box(item);
                continue;
            }
            let t = Instant::now();
            let file = if slow {
                falconer_yaml::parse_saphyr(&text)
            } else {
                falconer_yaml::parse(&text)
            };
            let dt = t.elapsed().as_secs_f64() * 1e3;
            nodes = file.documents.len();
            best = best.min(dt);
            total += dt;
            std::hint::black_box(file);
        }
        println!(
            "{path}: {} bytes, {} docs/items, best {best:.3} ms, mean {:.3} ms over {n}",
            text.len(),
            nodes,
            total / n.max(1) as f64
        );
    }
}

//! Prints a generated rules set of about N lines:
//! `cargo run --release -p falconer-testgen --example gen -- 4500 > rules.yaml`
fn main() {
    let lines: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4500);
    print!("{}", falconer_testgen::generate(lines));
}

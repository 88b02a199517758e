//! Prints a generated rules set: `cargo run -p falconer-testgen --example gen -- [LINES]`
//! (default 4,500 lines).
fn main() {
    let lines = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4500);
    print!("{}", falconer_testgen::generate(lines));
}

//! The language server on stdio without the CLI:
//! `cargo run -p falconer-lsp --example stdio` (what `falconer lsp` runs).

fn main() -> std::io::Result<()> {
    falconer_lsp::run()
}

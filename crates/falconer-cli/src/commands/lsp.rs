//! `falconer lsp`: the language server (LSP 3.17) on stdio.

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Talk LSP on stdin/stdout (the default and only transport; accepted
    /// because editors pass it).
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: &Args) -> Result<i32, String> {
    falconer_lsp::run().map_err(|e| format!("cannot start the language server: {e}"))?;
    Ok(0)
}

//! The falconer language server: LSP 3.17 over stdio, backed by the same
//! analysis as `falconer check`.
//!
//! * `server.rs` routes each method to its feature and isolates requests
//!   (a panic becomes an error response; the server lives on);
//! * `state.rs` holds the workspace (rules files on disk, open documents,
//!   `falconer.toml`) and the analysis over them; requests read snapshots;
//! * `workspace.rs` finds the rules files and reads the config (the only
//!   file IO);
//! * `line_index.rs` negotiates the position encoding (UTF-8 when the
//!   client offers it, else UTF-16) and does every offset/position
//!   conversion;
//! * `testing.rs` keeps the rule test files (index for the "run tests"
//!   code lenses) and the results of the runs;
//! * `in_process.rs` connects to a server in this process (tests,
//!   benchmark);
//! * `features/` has one module per feature; the answers themselves come
//!   from `falconer_analysis::ide` (and `falconer_test::ide` for rule
//!   tests), which know nothing of LSP.
//!
//! Only this crate sees LSP types.

mod features;
pub mod in_process;
mod line_index;
mod server;
mod state;
mod testing;
mod workspace;

#[cfg(test)]
mod tests;

pub use server::Backend;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{ClientSocket, LspService, Server};

/// Requests handled at once (edits still apply in arrival order).
const CONCURRENCY: usize = 16;

/// The LSP service and the socket of server-to-client messages.
pub fn service() -> (LspService<Backend>, ClientSocket) {
    let builder = LspService::build(Backend::new);
    #[cfg(test)]
    let builder = builder
        .custom_method("falconer/testPanic", Backend::test_panic)
        .custom_method("falconer/testPanicNext", Backend::test_panic_next)
        .custom_method("falconer/testDocumentText", Backend::test_document_text);
    builder.finish()
}

/// Serves LSP on a pair of byte streams until the client exits.
pub async fn serve<I, O>(input: I, output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    let (service, socket) = service();
    Server::new(input, output, socket)
        .concurrency_level(CONCURRENCY)
        .serve(service)
        .await;
}

/// Serves LSP on stdin/stdout.
pub async fn run_stdio() {
    serve(tokio::io::stdin(), tokio::io::stdout()).await;
}

/// Turns transparent huge pages off for this process. The allocator
/// asks for them on its arenas, which suits a short `check` (fewer page
/// faults) but not a server that lives for hours: each 2 MB page stays
/// resident for a few live objects (with the bench workspace open and
/// edited, 45 MB resident instead of 19 MB).
pub fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes
    // a flag of this process; failure (an old kernel) leaves THP as it was.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Runs the server on stdio in its own runtime (large thread stacks, as
/// the CLI's, for deeply nested input), without huge pages
/// ([`no_huge_pages`]). What `falconer lsp` calls.
pub fn run() -> std::io::Result<()> {
    no_huge_pages();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(64 << 20)
        .build()?
        .block_on(run_stdio());
    Ok(())
}

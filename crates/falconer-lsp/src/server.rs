//! Routing: each LSP method goes to its feature module; nothing else
//! happens here.
//!
//! * Notifications that change the inputs apply the change to the
//!   [`World`] synchronously (before the handler's first await, so in
//!   arrival order) and wake the diagnostics publisher.
//! * Requests run their feature on a [`Snapshot`] in a blocking task: a
//!   panic there is logged to the client (`window/logMessage`) and
//!   answered with an `InternalError`, and the server goes on; a query
//!   cancelled by a newer edit answers `ContentModified`.

use crate::features::{self, diagnostics};
use crate::line_index;
use crate::state::{uri_path, ClientSettings, Snapshot, World};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

pub struct Backend {
    client: Client,
    world: Arc<Mutex<World>>,
    /// Wakes the diagnostics publisher (the value is the generation).
    tx: watch::Sender<u64>,
    rx: Mutex<Option<watch::Receiver<u64>>>,
    dynamic_watch: AtomicBool,
    /// The client handles `workspace/codeLens/refresh`.
    code_lens_refresh: AtomicBool,
    /// Test hook: the next request's feature panics.
    #[cfg(test)]
    panic_next: AtomicBool,
}

/// Locks the world (a panic while it was locked does not poison it for
/// good: the state is still usable).
pub fn lock(world: &Mutex<World>) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(|e| e.into_inner())
}

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        let (tx, rx) = watch::channel(0);
        Backend {
            client,
            world: Arc::new(Mutex::new(World::default())),
            tx,
            rx: Mutex::new(Some(rx)),
            dynamic_watch: AtomicBool::new(false),
            code_lens_refresh: AtomicBool::new(false),
            #[cfg(test)]
            panic_next: AtomicBool::new(false),
        }
    }

    /// Applies a change to the world and wakes the publisher. Problems the
    /// change reports (a bad `falconer.toml`) are shown to the user.
    async fn change(&self, f: impl FnOnce(&mut World) -> Vec<String>) {
        let problems = {
            let mut w = lock(&self.world);
            let problems = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut w)))
                .unwrap_or_else(|p| vec![format!("internal error: {}", panic_message(&*p))]);
            self.tx.send_replace(w.generation);
            problems
        };
        for p in problems {
            self.client
                .show_message(MessageType::WARNING, format!("falconer: {p}"))
                .await;
        }
    }

    /// Runs a request's feature on a snapshot, isolated in a blocking task.
    async fn read<P, R>(
        &self,
        method: &'static str,
        params: P,
        f: fn(&Snapshot, P) -> R,
    ) -> Result<R>
    where
        P: Send + 'static,
        R: Send + 'static,
    {
        let snap = lock(&self.world).snapshot();
        #[cfg(test)]
        let inject = self.panic_next.swap(false, Ordering::Relaxed);
        #[cfg(not(test))]
        let inject = false;
        let task = move || {
            if inject {
                panic!("injected panic in {method}");
            }
            f(&snap, params)
        };
        match tokio::task::spawn_blocking(task).await {
            Ok(r) => Ok(r),
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                if falconer_analysis::ide::is_cancelled(&*payload) {
                    Err(Error::new(ErrorCode::ContentModified))
                } else {
                    let message =
                        format!("falconer: {method} failed: {}", panic_message(&*payload));
                    self.client
                        .log_message(MessageType::ERROR, message.clone())
                        .await;
                    Err(Error {
                        code: ErrorCode::InternalError,
                        message: message.into(),
                        data: None,
                    })
                }
            }
            Err(_) => Err(Error::new(ErrorCode::RequestCancelled)),
        }
    }

    /// A request that always panics (protocol tests of isolation).
    #[cfg(test)]
    pub async fn test_panic(&self) -> Result<()> {
        self.read("falconer/testPanic", (), |_, _| panic!("test panic"))
            .await
    }

    /// Makes the next request's feature panic (protocol tests: any
    /// handler is isolated).
    #[cfg(test)]
    pub async fn test_panic_next(&self) -> Result<()> {
        self.panic_next.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// `docsBaseUrl` from the client's initialization options.
fn docs_base_url(params: &InitializeParams) -> Option<String> {
    params
        .initialization_options
        .as_ref()?
        .get("docsBaseUrl")?
        .as_str()
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty())
}

/// Parameters of `falconer/testDocumentText`.
#[cfg(test)]
#[derive(serde::Deserialize)]
pub struct TestTextParams {
    pub uri: Uri,
}

#[cfg(test)]
impl Backend {
    /// The server's text of an open document (protocol tests compare it
    /// with the client's).
    pub async fn test_document_text(&self, p: TestTextParams) -> Result<Option<String>> {
        Ok(lock(&self.world).document_text(&p.uri).map(str::to_string))
    }
}

fn roots_of(params: &InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| uri_path(&f.uri))
        .collect();
    #[allow(deprecated)]
    if roots.is_empty() {
        roots.extend(params.root_uri.as_ref().and_then(uri_path));
    }
    roots
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = line_index::negotiate(&params.capabilities);
        let dynamic_watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        self.dynamic_watch.store(dynamic_watch, Ordering::Relaxed);
        let lens_refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        self.code_lens_refresh
            .store(lens_refresh, Ordering::Relaxed);
        let roots = roots_of(&params);
        let docs = docs_base_url(&params);
        let settings = params
            .initialization_options
            .as_ref()
            .map(ClientSettings::from_json)
            .unwrap_or_default();
        self.change(|w| {
            w.encoding = encoding;
            w.docs_base_url = docs;
            let mut problems = w.set_settings(settings);
            problems.extend(w.set_roots(roots));
            problems
        })
        .await;
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(line_index::encoding_kind(encoding)),
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::INCREMENTAL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into(), "%".into()]),
                    resolve_provider: Some(true),
                    ..Default::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            work_done_progress_options: Default::default(),
                            legend: features::semantic_tokens::legend(),
                            range: Some(true),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                        },
                    ),
                ),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::REFACTOR_REWRITE,
                        ]),
                        work_done_progress_options: Default::default(),
                        resolve_provider: Some(false),
                    },
                )),
                inlay_hint_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                document_range_formatting_provider: Some(OneOf::Left(true)),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![crate::testing::RUN_TESTS.into()],
                    work_done_progress_options: Default::default(),
                }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..Default::default()
            },
            server_info: Some(ServerInfo {
                name: "falconer".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            ..Default::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(rx) = rx {
            tokio::spawn(diagnostics::publisher(
                self.world.clone(),
                self.client.clone(),
                rx,
            ));
            tokio::spawn(features::test_diagnostics::publisher(
                self.world.clone(),
                self.client.clone(),
                self.tx.subscribe(),
            ));
        }
        if self.dynamic_watch.load(Ordering::Relaxed) {
            let client = self.client.clone();
            tokio::spawn(async move {
                // Captures: test fixtures.
                let watchers = [
                    "**/*.yaml",
                    "**/*.yml",
                    "**/falconer.toml",
                    "**/*.scap",
                    "**/*.scap.gz",
                ]
                .into_iter()
                .map(|g| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(g.into()),
                    kind: None,
                })
                .collect();
                let options = DidChangeWatchedFilesRegistrationOptions { watchers };
                let reg = Registration {
                    id: "falconer-watched-files".into(),
                    method: "workspace/didChangeWatchedFiles".into(),
                    register_options: serde_json::to_value(options).ok(),
                };
                let _ = client.register_capability(vec![reg]).await;
            });
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, p: DidOpenTextDocumentParams) {
        let d = p.text_document;
        let marked = matches!(d.language_id.as_str(), "falco" | "yaml.falco");
        self.change(|w| {
            let uri = d.uri.clone();
            w.set_document(d.uri, d.version, d.text);
            if marked {
                w.mark_rules(&uri);
            }
            Vec::new()
        })
        .await;
    }

    async fn did_change(&self, p: DidChangeTextDocumentParams) {
        let d = p.text_document;
        self.change(|w| {
            w.change_document(d.uri, d.version, p.content_changes);
            Vec::new()
        })
        .await;
    }

    async fn did_close(&self, p: DidCloseTextDocumentParams) {
        self.change(|w| {
            w.close_document(&p.text_document.uri);
            Vec::new()
        })
        .await;
    }

    async fn did_change_configuration(&self, p: DidChangeConfigurationParams) {
        // A null payload means "pull the settings": keep what we have.
        if p.settings.is_null() {
            return;
        }
        let settings = ClientSettings::from_json(&p.settings);
        self.change(|w| w.set_settings(settings)).await;
    }

    async fn did_change_watched_files(&self, p: DidChangeWatchedFilesParams) {
        let paths: Vec<PathBuf> = p.changes.iter().filter_map(|c| uri_path(&c.uri)).collect();
        self.change(|w| w.files_changed(paths)).await;
    }

    async fn did_change_workspace_folders(&self, p: DidChangeWorkspaceFoldersParams) {
        self.change(|w| {
            let removed: Vec<PathBuf> = p
                .event
                .removed
                .iter()
                .filter_map(|f| uri_path(&f.uri))
                .collect();
            let mut roots: Vec<PathBuf> = w
                .roots()
                .iter()
                .filter(|r| !removed.contains(r))
                .cloned()
                .collect();
            roots.extend(p.event.added.iter().filter_map(|f| uri_path(&f.uri)));
            w.set_roots(roots)
        })
        .await;
    }

    async fn document_symbol(
        &self,
        p: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.read("documentSymbol", p, features::symbols::document_symbols)
            .await
    }

    async fn goto_definition(
        &self,
        p: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.read("definition", p, features::definition::goto_definition)
            .await
    }

    async fn references(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.read("references", p, features::references::references)
            .await
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        self.read("hover", p, features::hover::hover).await
    }

    async fn completion(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        // Typing goes on while a completion is computed: an edit cancels
        // it, and the client would fall back to plain words. While the text
        // before the cursor is what it was (the user typed after it), the
        // answer is the same: compute it again on the newer text.
        let uri = p.text_document_position.text_document.uri.clone();
        let pos = p.text_document_position.position;
        let prefix = |w: &World| -> Option<String> {
            let text = w.document_text(&uri)?;
            let offset = crate::line_index::LineMap::offset_in(text, pos, w.encoding) as usize;
            text.get(..offset).map(str::to_string)
        };
        let before = prefix(&lock(&self.world));
        let mut tries = 0;
        loop {
            let r = self
                .read("completion", p.clone(), features::completion::completion)
                .await;
            tries += 1;
            let modified = matches!(&r, Err(e) if e.code == ErrorCode::ContentModified);
            if !modified || tries == 3 || before.is_none() || prefix(&lock(&self.world)) != before {
                return r;
            }
        }
    }

    async fn formatting(&self, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.read("formatting", p, features::formatting::formatting)
            .await
    }

    async fn range_formatting(
        &self,
        p: DocumentRangeFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>> {
        self.read("rangeFormatting", p, features::formatting::range_formatting)
            .await
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        self.read("completionItem/resolve", item, |_, item| {
            features::completion::resolve(item)
        })
        .await
    }

    async fn document_highlight(
        &self,
        p: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        self.read(
            "documentHighlight",
            p,
            features::highlight::document_highlight,
        )
        .await
    }

    async fn prepare_rename(
        &self,
        p: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.read("prepareRename", p, features::rename::prepare_rename)
            .await?
    }

    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.read("rename", p, features::rename::rename).await?
    }

    async fn symbol(&self, p: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        self.read("workspace/symbol", p, features::workspace_symbols::symbols)
            .await
    }

    async fn semantic_tokens_full(
        &self,
        p: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.read("semanticTokens/full", p, features::semantic_tokens::full)
            .await
    }

    async fn semantic_tokens_range(
        &self,
        p: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        self.read("semanticTokens/range", p, features::semantic_tokens::range)
            .await
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.read("codeAction", p, features::code_actions::code_actions)
            .await
    }

    async fn inlay_hint(&self, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.read("inlayHint", p, features::inlay_hints::inlay_hints)
            .await
    }

    async fn folding_range(&self, p: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.read("foldingRange", p, features::folding::folding_ranges)
            .await
    }

    async fn code_lens(&self, p: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.read("codeLens", p, features::code_lens::code_lens)
            .await
    }

    async fn execute_command(&self, p: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let cx = features::run_tests::Ctx {
            world: &self.world,
            client: &self.client,
            tx: &self.tx,
            refresh: self.code_lens_refresh.load(Ordering::Relaxed),
        };
        features::run_tests::execute(cx, p).await
    }

    async fn selection_range(
        &self,
        p: SelectionRangeParams,
    ) -> Result<Option<Vec<SelectionRange>>> {
        self.read("selectionRange", p, features::selection::selection_ranges)
            .await
    }
}

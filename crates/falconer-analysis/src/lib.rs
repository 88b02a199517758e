//! The analysis layer of falconer: everything Falco's rule loader knows,
//! as incremental salsa queries.
//!
//! Inputs are file texts (in load order) and a [`Config`]; outputs are the
//! collected items, the compiled rules and the diagnostics. No IO happens
//! here and nothing can fail: bad input becomes diagnostics. The same
//! analysis serves `falconer check`, the language server and the engine.
//!
//! Layout: `checks/` has one module per diagnostic family (reading and
//! schema, exceptions, outputs, type checking, event types); `collect`
//! applies load order, append and override; `lists` does Falco's textual
//! list substitution; `compile` runs the checks in Falco's order; `db`
//! holds the salsa inputs and queries; [`AnalysisHost`] is the facade.

pub mod cat;
pub mod checks;
pub mod codes;
pub mod collect;
pub mod compile;
pub mod config;
pub mod db;
pub mod diagnostic;
pub mod expand;
pub mod ide;
pub mod lists;
pub mod memo;
pub mod model;
pub mod project;
pub mod source;

pub use codes::{CodeInfo, Severity, CODES};
pub use config::{Config, Level, ENGINE_VERSION};
pub use diagnostic::{Diagnostic, FileId, Loc, Related, Suggestion};

use db::{RootDb, SourceFile, Workspace};
use salsa::Setter;
use std::sync::Arc;

/// Owns the database and the workspace input; cheap to query repeatedly.
pub struct AnalysisHost {
    db: RootDb,
    ws: Workspace,
}

impl Default for AnalysisHost {
    fn default() -> Self {
        AnalysisHost::new(Config::default())
    }
}

impl AnalysisHost {
    pub fn new(config: Config) -> AnalysisHost {
        let db = RootDb::default();
        let ws = Workspace::new(&db, Vec::new(), Vec::new(), config);
        AnalysisHost { db, ws }
    }

    /// Sets the rules files, in load order, as (path, text).
    pub fn set_files(&mut self, files: Vec<(String, String)>) {
        let inputs: Vec<SourceFile> = files
            .into_iter()
            .map(|(p, t)| db::new_file(&self.db, p, Arc::from(t)))
            .collect();
        self.ws.set_files(&mut self.db).to(inputs);
    }

    /// Sets workspace files that are not loaded (for cross-file hints).
    pub fn set_extra_files(&mut self, files: Vec<(String, String)>) {
        let inputs: Vec<SourceFile> = files
            .into_iter()
            .map(|(p, t)| db::new_file(&self.db, p, Arc::from(t)))
            .collect();
        self.ws.set_extra_files(&mut self.db).to(inputs);
    }

    /// Replaces the text of loaded file `id`.
    pub fn set_file_text(&mut self, id: FileId, text: String) {
        if let Some(f) = self.ws.files(&self.db).get(id as usize).copied() {
            db::set_file_text(&mut self.db, f, Arc::from(text));
        }
    }

    pub fn set_config(&mut self, config: Config) {
        self.ws.set_config(&mut self.db).to(config);
    }

    pub fn config(&self) -> &Config {
        self.ws.config(&self.db)
    }

    pub fn file_count(&self) -> usize {
        self.ws.files(&self.db).len() + self.ws.extra_files(&self.db).len()
    }

    /// Path of file `id` (loaded files first, then extra files).
    pub fn file_path(&self, id: FileId) -> &str {
        let n = self.ws.files(&self.db).len();
        let f = if (id as usize) < n {
            self.ws.files(&self.db)[id as usize]
        } else {
            self.ws.extra_files(&self.db)[id as usize - n]
        };
        f.path(&self.db)
    }

    /// Text of file `id` (loaded files first, then extra files).
    pub fn file_text(&self, id: FileId) -> &str {
        let n = self.ws.files(&self.db).len();
        let f = if (id as usize) < n {
            self.ws.files(&self.db)[id as usize]
        } else {
            self.ws.extra_files(&self.db)[id as usize - n]
        };
        f.text(&self.db)
    }

    pub fn diagnostics(&self) -> &Arc<Vec<Diagnostic>> {
        db::diagnostics(&self.db, self.ws)
    }

    pub fn collected(&self) -> &Arc<collect::Collected> {
        db::collected(&self.db, self.ws)
    }

    pub fn compiled(&self) -> &Arc<compile::Compiled> {
        db::compiled(&self.db, self.ws)
    }

    /// Plugins whose fields are available.
    pub fn plugins(&self) -> Vec<String> {
        db::plugins(self.ws.config(&self.db), self.collected())
    }
}

//! The per-condition results of a compilation (list substitution, parse,
//! type checks, output checks, event types), kept for the next one.
//!
//! They depend only on the text they are computed from and on the
//! environment (the lists as conditions see them, the loaded plugins, the
//! imported fields): a table keyed by text, emptied whenever the
//! environment changes, gives the same results as computing them again.
//! One table serves every compilation of a database (it lives in
//! [`crate::db::RootDb`], shared by its snapshots); `compiled(ws)` is the
//! only user. Entries that a compilation did not use are dropped at its
//! end, so the table holds the workspace's conditions, not its history.
//!
//! Why not one salsa query per condition: validating a cached query in a
//! new revision costs about a thousand instructions, and an edit would
//! validate every condition of the workspace (each rule needed five);
//! a lookup here costs a hash of the text.

use crate::cat::Scope;
use crate::checks::evttype::EvtSet;
use crate::compile::{self, Checked, ListEnv, ParseFn, Prepared};
use falconer_catalog::ImportedCatalog;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The table (see the module documentation).
#[derive(Default)]
pub struct CondMemo {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// What the entries were computed in.
    env: Option<EnvKey>,
    /// The current compilation's number: entries it uses get it.
    generation: u32,
    texts: FxHashMap<Box<str>, TextEntry>,
}

struct EnvKey {
    lists: Arc<ListEnv>,
    plugins: Arc<Vec<String>>,
    imported: Option<Arc<ImportedCatalog>>,
}

/// The results computed from one text (a condition, or an output).
#[derive(Default)]
struct TextEntry {
    generation: u32,
    prepared: Option<Arc<Prepared>>,
    /// Type checks in contexts other than [`compile::SYSCALL_CONTEXT`].
    typed: InContext,
    /// Output checks.
    output: InContext,
    /// Event types of a rule with the macros it reaches:
    /// (generation, [(macro name, macro text)], result).
    evttypes: Vec<(u32, MacroTexts, Arc<EvtSet>)>,
}

/// Results per context: (generation, source, skip-if-unknown-filter,
/// result).
type InContext = Vec<(u32, Box<str>, bool, Arc<Checked>)>;

/// The (name, text) of each macro a rule reaches.
type MacroTexts = Vec<(Box<str>, Box<str>)>;

/// One compilation's use of the table: lookups, and the computation of
/// what is missing in the compilation's environment.
pub struct Session<'a> {
    state: MutexGuard<'a, State>,
    lists: &'a ListEnv,
    parse: ParseFn<'a>,
    syscall: Scope,
}

impl CondMemo {
    /// Starts a compilation in an environment; entries computed in another
    /// environment are dropped.
    pub fn session<'a>(
        &'a self,
        lists: &'a Arc<ListEnv>,
        plugins: &'a Arc<Vec<String>>,
        imported: Option<&'a Arc<ImportedCatalog>>,
        parse: ParseFn<'a>,
    ) -> Session<'a> {
        // A compilation cancelled by a write (an unwinding salsa query)
        // leaves only whole entries behind: the table stays usable.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let same = state.env.as_ref().is_some_and(|e| {
            (Arc::ptr_eq(&e.lists, lists) || e.lists == *lists)
                && e.plugins == *plugins
                && match (&e.imported, imported) {
                    (None, None) => true,
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    _ => false,
                }
        });
        if !same {
            state.texts.clear();
            state.env = Some(EnvKey {
                lists: lists.clone(),
                plugins: plugins.clone(),
                imported: imported.cloned(),
            });
        }
        state.generation = state.generation.wrapping_add(1);
        Session {
            state,
            lists,
            parse,
            syscall: Scope::new(compile::SYSCALL_CONTEXT.0, plugins, imported),
        }
    }
}

impl Session<'_> {
    /// The entry of `text`, if any, marked as used.
    fn get(&mut self, text: &str) -> Option<&mut TextEntry> {
        let generation = self.state.generation;
        let e = self.state.texts.get_mut(text)?;
        e.generation = generation;
        Some(e)
    }

    /// The entry of `text`, added if missing, marked as used.
    fn entry(&mut self, text: &str) -> &mut TextEntry {
        let generation = self.state.generation;
        let texts = &mut self.state.texts;
        if !texts.contains_key(text) {
            texts.insert(text.into(), TextEntry::default());
        }
        let e = texts.get_mut(text).expect("just inserted");
        e.generation = generation;
        e
    }

    fn scope(&self, source: &str) -> Scope {
        if source == self.syscall.source {
            self.syscall.clone()
        } else {
            self.syscall.for_source(source)
        }
    }

    /// [`compile::prepare`] of a condition text.
    pub fn prepared(&mut self, text: &str) -> Arc<Prepared> {
        if let Some(p) = self.get(text).and_then(|e| e.prepared.clone()) {
            return p;
        }
        let p = Arc::new(compile::prepare(
            text,
            self.lists,
            self.parse,
            &self.syscall,
        ));
        self.entry(text).prepared = Some(p.clone());
        p
    }

    /// The type check of a prepared condition (`prep`, prepared from
    /// `text`) in a (source, skip) context.
    pub fn checked_in(
        &mut self,
        text: &str,
        prep: &Prepared,
        source: &str,
        skip: bool,
    ) -> Arc<Checked> {
        if (source, skip) == compile::SYSCALL_CONTEXT {
            return prep.syscall.clone();
        }
        self.in_context(
            text,
            |e| &mut e.typed,
            source,
            skip,
            |scope| compile::typecheck(prep.parsed.expr.as_ref(), scope, skip),
        )
    }

    /// [`compile::output_check`] of an output text.
    pub fn output(&mut self, text: &str, source: &str, skip: bool) -> Arc<Checked> {
        self.in_context(
            text,
            |e| &mut e.output,
            source,
            skip,
            |scope| compile::output_check(text, scope, skip),
        )
    }

    /// The result kept in `list` of `text`'s entry for the (source, skip)
    /// context, computed (in the source's scope) when missing.
    fn in_context(
        &mut self,
        text: &str,
        list: fn(&mut TextEntry) -> &mut InContext,
        source: &str,
        skip: bool,
        compute: impl FnOnce(&Scope) -> Checked,
    ) -> Arc<Checked> {
        let generation = self.state.generation;
        if let Some(t) = self
            .get(text)
            .and_then(|e| list(e).iter_mut().find(|t| &*t.1 == source && t.2 == skip))
        {
            t.0 = generation;
            return t.3.clone();
        }
        let c = Arc::new(compute(&self.scope(source)));
        list(self.entry(text)).push((generation, source.into(), skip, c.clone()));
        c
    }

    /// The event types of a syscall rule's condition (`prep`, prepared from
    /// `text`) with the macros it reaches: (name, text, prepared).
    pub fn evttypes(
        &mut self,
        text: &str,
        prep: &Prepared,
        macros: &[(&str, &str, &Prepared)],
    ) -> Arc<EvtSet> {
        let generation = self.state.generation;
        let same = |k: &[(Box<str>, Box<str>)]| {
            k.len() == macros.len()
                && k.iter()
                    .zip(macros)
                    .all(|((n, t), (mn, mt, _))| **n == **mn && **t == **mt)
        };
        if let Some(t) = self
            .get(text)
            .and_then(|e| e.evttypes.iter_mut().find(|t| same(&t.1)))
        {
            t.0 = generation;
            return t.2.clone();
        }
        let exprs: Vec<(String, Option<&falconer_syntax::ast::Expr>)> = macros
            .iter()
            .map(|(n, _, p)| (n.to_string(), p.parsed.expr.as_ref()))
            .collect();
        let set = Arc::new(compile::rule_evttypes(
            prep.parsed.expr.as_ref(),
            &exprs,
            &self.syscall,
        ));
        let key = macros
            .iter()
            .map(|(n, t, _)| ((*n).into(), (*t).into()))
            .collect();
        self.entry(text)
            .evttypes
            .push((generation, key, set.clone()));
        set
    }

    /// Ends the compilation: drops what it did not use.
    pub fn finish(mut self) {
        let generation = self.state.generation;
        self.state.texts.retain(|_, e| {
            if e.generation != generation {
                return false;
            }
            e.typed.retain(|t| t.0 == generation);
            e.output.retain(|t| t.0 == generation);
            e.evttypes.retain(|t| t.0 == generation);
            true
        });
    }
}

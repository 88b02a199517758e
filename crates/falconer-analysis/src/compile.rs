//! Compilation of the collected items, in Falco's order (LANGUAGE.md
//! Overview, C.11, C.12): lists, then macros, then rules, then the unused
//! warnings. Unlike Falco we do not stop at the first error: every item is
//! checked so an editor shows every problem at once.

use crate::cat::{self, Scope};
use crate::checks::evttype::{evttypes, EvtSet};
use crate::checks::exceptions::{append as append_composite, fold_exceptions};
use crate::checks::output::check_output;
use crate::checks::typeck::Checker;
use crate::collect::{Collected, RuleEntry};
use crate::diagnostic::{Diagnostic, Loc};
use crate::lists::{substitute, ListIndex, ListView, Substituted};
use crate::memo::Session;
use crate::model::{Item, ItemDef, Mode, Str};
use crate::source::Composite;
use falconer_syntax::ast::*;
use falconer_text::{suggest, Span};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::Arc;

/// Parses a condition; the database caches it by text.
pub type ParseFn<'a> = &'a dyn Fn(&str) -> Arc<ParsedCondition>;

/// Codes of libsinsp compiler warnings (B.7), reported after a successful
/// compilation only.
const COMPILER_WARNINGS: &[&str] = &[
    "field-as-value",
    "transformer-as-value",
    "simplifiable-regex",
];

/// A macro after substitution, parsing and reference resolution.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompiledMacro {
    pub name: Str,
    pub subst: Arc<Substituted>,
    pub parsed: Arc<ParsedCondition>,
    /// Macro references: (name, span in the substituted text, index of the
    /// visible macro it resolves to).
    pub refs: Vec<(String, Span, Option<usize>)>,
    /// Reached itself through references.
    pub in_loop: bool,
}

impl CompiledMacro {
    pub fn expr(&self) -> Option<&Expr> {
        self.parsed.expr.as_ref()
    }
}

/// A rule after compilation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompiledRule {
    pub name: Str,
    /// Condition with exceptions folded in, before list substitution.
    pub condition: Composite,
    pub subst: Arc<Substituted>,
    pub parsed: Arc<ParsedCondition>,
    /// The event-type set (syscall rules that compiled).
    pub evttypes: Option<EvtSet>,
    /// Rule compiled without error (and was not skipped).
    pub ok: bool,
    pub skipped: bool,
    pub known_source: bool,
}

/// The whole compilation result.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Compiled {
    /// Expanded items of each list (same order as `Collected::lists`).
    pub list_items: Arc<Vec<Vec<String>>>,
    pub macros: Vec<CompiledMacro>,
    pub rules: Vec<CompiledRule>,
    pub diagnostics: Vec<Diagnostic>,
    pub list_used: Vec<bool>,
    pub macro_used: Vec<bool>,
}

/// The environment a compilation runs in: the collected items and the list
/// environment (per-condition work goes through the [`crate::memo`]
/// session given to [`compile`]).
pub struct Env<'a> {
    pub collected: &'a Collected,
    pub lists: &'a ListEnv,
    /// Plugins loaded (defaults, config, required_plugin_versions).
    pub plugins: &'a [String],
    /// Macros defined in workspace files outside the load order.
    pub other_macros: &'a HashMap<Str, Loc>,
    /// Fields imported from a real Falco's list.
    pub imported: Option<&'a Arc<falconer_catalog::ImportedCatalog>>,
}

/// The lists as conditions see them, computed once per set of lists (the
/// database keeps it, equal, across edits that touch no list, so no
/// condition is substituted again).
#[derive(Debug, PartialEq, Eq, Default)]
pub struct ListEnv {
    /// Expanded items of each list (same order as `Collected::lists`).
    pub items: Arc<Vec<Vec<String>>>,
    /// Lists used inside other lists.
    pub used: Vec<bool>,
    /// Lists in definition order, for substitution.
    pub index: ListIndex,
    /// Definition-order index → index in `Collected::lists`.
    pub v2l: Vec<usize>,
    /// List names for the list-typo lint.
    pub typos: TypoIndex,
}

/// A list as the collector combines it (LANGUAGE.md C.10), positions
/// aside: what substitution needs.
struct ListDef<'a> {
    name: &'a str,
    index: u32,
    visibility: u32,
    items: Vec<&'a str>,
}

/// The list environment of the lists among `items` (every item of the
/// loaded files, in load order), combined exactly as [`crate::collect`]
/// does, so its order is `Collected::lists`'s.
pub fn list_env<'a>(items: impl Iterator<Item = &'a Item>, list_typo: bool) -> ListEnv {
    let mut defs: Vec<ListDef<'a>> = Vec::new();
    let mut by_name: rustc_hash::FxHashMap<&'a str, usize> = Default::default();
    let mut seq = 0;
    for item in items {
        let ItemDef::List(l) = &item.def else {
            continue;
        };
        seq += 1;
        let values = l.items.iter().map(|t| t.value.as_str());
        match (l.mode, by_name.get(l.name.value.as_str()).copied()) {
            (Mode::Append, None) => {}
            (Mode::Append, Some(i)) => {
                defs[i].items.extend(values);
                defs[i].visibility = seq;
            }
            (_, Some(i)) => {
                defs[i].items = values.collect();
                defs[i].visibility = seq;
            }
            (_, None) => {
                by_name.insert(&l.name.value, defs.len());
                defs.push(ListDef {
                    name: &l.name.value,
                    index: seq,
                    visibility: seq,
                    items: values.collect(),
                });
            }
        }
    }
    // Lists inside lists (C.11), in definition order.
    let mut used = vec![false; defs.len()];
    let mut out: Vec<Vec<String>> = defs
        .iter()
        .map(|d| d.items.iter().map(|t| t.to_string()).collect())
        .collect();
    let mut order: Vec<usize> = (0..defs.len()).collect();
    order.sort_by_key(|&i| defs[i].index);
    for &i in &order {
        let vis = defs[i].visibility;
        let mut expanded = Vec::new();
        for t in &defs[i].items {
            match by_name.get(t) {
                Some(&j) if j != i && defs[j].index < vis => {
                    used[j] = true;
                    expanded.extend(out[j].iter().cloned());
                }
                _ => expanded.push(t.to_string()),
            }
        }
        out[i] = expanded;
    }
    let index = ListIndex::new(
        order
            .iter()
            .map(|&i| ListView {
                name: defs[i].name,
                items: &out[i],
            })
            .collect(),
    );
    ListEnv {
        index,
        typos: TypoIndex::new(defs.iter().map(|d| d.name), list_typo),
        v2l: order,
        items: Arc::new(out),
        used,
    }
}

/// A condition after list substitution and parsing, with what depends only
/// on its text and the lists. Diagnostics have file 0 and spans in the
/// substituted text; [`place`] moves them to the files.
#[derive(Debug, PartialEq, Eq)]
pub struct Prepared {
    pub subst: Arc<Substituted>,
    pub parsed: Arc<ParsedCondition>,
    /// `condition-syntax` then `list-typo`.
    pub diags: Vec<Diagnostic>,
    /// Macro references (identifiers in operand position).
    pub refs: Vec<(String, Span)>,
    /// The tree type checked for the usual context, `syscall` without
    /// `skip-if-unknown-filter` ([`SYSCALL_CONTEXT`]): the context of most
    /// conditions, so it is computed with them.
    pub syscall: Arc<Checked>,
}

/// The (source, skip-if-unknown-filter) context every [`Prepared`] is type
/// checked in.
pub const SYSCALL_CONTEXT: (&str, bool) = ("syscall", false);

fn identity(s: Span) -> Loc {
    Loc { file: 0, span: s }
}

/// `syscall_scope`: the scope of [`SYSCALL_CONTEXT`].
pub fn prepare(text: &str, lists: &ListEnv, parse: ParseFn<'_>, syscall_scope: &Scope) -> Prepared {
    let subst = substitute(text, &lists.index);
    let parsed = parse(&subst.text);
    let mut diags = Vec::new();
    syntax_diags(&parsed, &identity, &mut diags);
    let mut refs = Vec::new();
    if let Some(e) = &parsed.expr {
        macro_refs(e, &mut refs);
        list_typo(e, &lists.typos, &identity, &mut diags);
    }
    let syscall = Arc::new(typecheck(
        parsed.expr.as_ref(),
        syscall_scope,
        SYSCALL_CONTEXT.1,
    ));
    Prepared {
        subst: Arc::new(subst),
        parsed,
        diags,
        refs,
        syscall,
    }
}

/// A check's result, positions relative to the checked text (file 0).
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Checked {
    pub diags: Vec<Diagnostic>,
    pub failed: bool,
    pub skipped: bool,
}

/// Type checks one tree (macros not descended into) in `scope`.
pub fn typecheck(expr: Option<&Expr>, scope: &Scope, skip_unknown: bool) -> Checked {
    let mut checker = Checker {
        scope,
        map: &identity,
        diags: Vec::new(),
        skip_unknown,
        failed: false,
        skipped: false,
    };
    if let Some(e) = expr {
        checker.check_expr(e);
    }
    Checked {
        diags: checker.diags,
        failed: checker.failed,
        skipped: checker.skipped,
    }
}

/// Checks an output text in `scope`.
pub fn output_check(text: &str, scope: &Scope, skip_unknown: bool) -> Checked {
    let oc = check_output(text, &identity, scope, skip_unknown);
    Checked {
        diags: oc.diags,
        failed: oc.failed,
        skipped: oc.skipped,
    }
}

/// A diagnostic with positions relative to a text, moved to the files by
/// `map` (main location, suggestion, related locations).
pub fn place(d: &Diagnostic, map: &dyn Fn(Span) -> Loc) -> Diagnostic {
    let mut d = d.clone();
    d.loc = map(d.loc.span);
    if let Some(s) = &mut d.suggestion {
        s.span = map(s.span).span;
    }
    for r in &mut d.related {
        r.loc = map(r.loc.span);
    }
    d
}

/// Expands lists inside lists (C.11): an item naming a list defined
/// before the containing list's visibility is replaced by its items.
pub fn expand_lists(c: &Collected, used: &mut [bool]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = c
        .lists
        .iter()
        .map(|l| l.items.iter().map(|(t, _)| t.value.to_string()).collect())
        .collect();
    let mut order: Vec<usize> = (0..c.lists.len()).collect();
    order.sort_by_key(|&i| c.lists[i].index);
    for &i in &order {
        let vis = c.lists[i].visibility;
        let mut expanded = Vec::new();
        for (t, _) in &c.lists[i].items {
            match c.list_by_name.get(&t.value) {
                Some(&j) if j != i && c.lists[j].index < vis => {
                    used[j] = true;
                    expanded.extend(out[j].iter().cloned());
                }
                _ => expanded.push(t.value.to_string()),
            }
        }
        out[i] = expanded;
    }
    out
}

/// Collects macro references (identifiers in operand position).
pub fn macro_refs(expr: &Expr, out: &mut Vec<(String, Span)>) {
    match expr {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            children.iter().for_each(|c| macro_refs(c, out))
        }
        Expr::Not { child, .. } => macro_refs(child, out),
        Expr::Macro(n) => out.push((n.text.clone(), n.span)),
        _ => {}
    }
}

fn syntax_diags(p: &ParsedCondition, map: &dyn Fn(Span) -> Loc, out: &mut Vec<Diagnostic>) {
    if let Some(e) = p.errors.first() {
        out.push(Diagnostic::new(
            "condition-syntax",
            map(e.span),
            e.message.clone(),
        ));
    }
}

pub fn compile<'a>(env: &Env<'a>, memo: &mut Session<'_>) -> Compiled {
    let c = env.collected;
    let lists = env.lists;
    let mut out = Compiled {
        list_used: lists.used.clone(),
        macro_used: vec![false; c.macros.len()],
        ..Default::default()
    };
    let v2l = &lists.v2l;

    // ---- macros ----
    let mut macro_preps: Vec<Arc<Prepared>> = Vec::with_capacity(c.macros.len());
    for m in &c.macros {
        let p = memo.prepared(m.condition.text.as_str());
        for (vi, _) in &p.subst.uses {
            out.list_used[v2l[*vi]] = true;
        }
        let map = |s: Span| m.condition.map(p.subst.map.map(s));
        out.diagnostics
            .extend(p.diags.iter().map(|d| place(d, &map)));
        let refs = p
            .refs
            .iter()
            .map(|(name, span)| {
                let target = c
                    .macro_by_name
                    .get(name)
                    .copied()
                    .filter(|&j| c.macros[j].index < m.visibility);
                (name.clone(), *span, target)
            })
            .collect();
        out.macros.push(CompiledMacro {
            name: m.name.clone(),
            subst: p.subst.clone(),
            parsed: p.parsed.clone(),
            refs,
            in_loop: false,
        });
        macro_preps.push(p);
    }
    // Undefined references and loops, and macro-to-macro use.
    for (i, cm) in out.macros.iter().enumerate() {
        let m = &c.macros[i];
        for (name, span, target) in &cm.refs {
            match target {
                Some(j) => out.macro_used[*j] = true,
                None => {
                    let map = |s: Span| m.condition.map(cm.subst.map.map(s));
                    let d = undefined_macro(
                        env,
                        name,
                        map(*span),
                        c.macro_by_name.get(name).map(|&j| c.macros[j].name_loc),
                    );
                    out.diagnostics.extend(d);
                }
            }
        }
    }
    for i in in_loops(&out.macros) {
        out.macros[i].in_loop = true;
        let m = &c.macros[i];
        out.diagnostics.push(Diagnostic::new(
            "macro-loop",
            m.name_loc,
            format!("reference loop in macro '{}'", m.name),
        ));
    }

    // ---- rules ----
    let known = cat::known_sources(env.plugins, env.imported.map(|a| &**a));
    let mut scratch = RuleScratch {
        known_sources: known,
        checked_macros: FxHashMap::default(),
        reached: vec![u32::MAX; c.macros.len()],
        reachable: Vec::new(),
    };
    for (ri, r) in c.rules.iter().enumerate() {
        let cr = compile_rule(
            env,
            r,
            ri as u32,
            &macro_preps,
            memo,
            &mut out,
            &mut scratch,
        );
        out.rules.push(cr);
    }

    out.list_items = lists.items.clone();
    // ---- unused (only when everything compiled, as Falco) ----
    let any_error = out
        .diagnostics
        .iter()
        .chain(&c.diagnostics)
        .any(|d| d.severity == crate::codes::Severity::Error);
    if !any_error {
        for (i, l) in c.lists.iter().enumerate() {
            if !out.list_used[i] {
                let loc = l.name_loc;
                out.diagnostics.push(Diagnostic::new(
                    "unused-list",
                    loc,
                    "List not referred to by any other rule/macro",
                ));
            }
        }
        for (i, m) in c.macros.iter().enumerate() {
            if !out.macro_used[i] {
                let loc = m.name_loc;
                out.diagnostics.push(Diagnostic::new(
                    "unused-macro",
                    loc,
                    "Macro not referred to by any other rule/macro",
                ));
            }
        }
    }
    out
}

/// The macros on a reference cycle (each reaches itself), in index order:
/// the strongly connected components of the reference graph (Tarjan's
/// algorithm, iterative) with more than one macro or a self reference.
/// Linear in macros and references.
fn in_loops(macros: &[CompiledMacro]) -> Vec<usize> {
    const NONE: u32 = u32::MAX;
    let n = macros.len();
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut looped = vec![false; n];
    let mut next = 0u32;
    // (node, position in its references)
    let mut frames: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        frames.push((root, 0));
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = frames.last_mut() {
            if let Some(r) = macros[v].refs.get(*pos) {
                *pos += 1;
                let Some(w) = r.2 else { continue };
                if w == v {
                    looped[v] = true;
                }
                if index[w] == NONE {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                // Every member of a component of two or more is on a cycle.
                if members.len() > 1 {
                    for w in members {
                        looped[w] = true;
                    }
                }
            }
        }
    }
    (0..n).filter(|&i| looped[i]).collect()
}
fn undefined_macro(env: &Env<'_>, name: &str, loc: Loc, later: Option<Loc>) -> Vec<Diagnostic> {
    let mut d = Diagnostic::new(
        "undefined-macro",
        loc,
        format!("Undefined macro '{name}' used in filter."),
    );
    if let Some(l) = later {
        d = d.with_related(
            l,
            format!("'{name}' is defined here, after the macro that uses it: macros cannot refer forward"),
        );
    } else if let Some(s) = suggest(name, env.collected.macros.iter().map(|m| m.name.as_str())) {
        d = d.with_suggestion(format!("did you mean '{s}'?"), loc.span, s);
    }
    let mut out = vec![d];
    if let Some(other) = env.other_macros.get(name) {
        out.push(
            Diagnostic::new(
                "macro-in-other-file",
                loc,
                format!("macro '{name}' is defined in a workspace file that is not loaded"),
            )
            .with_related(*other, format!("'{name}' is defined here")),
        );
    }
    out
}

/// List names indexed for fast "did you mean" lookups: by their
/// normalised form (separators and case ignored: the seed's
/// `webfetchbinaries` for `web_fetch_binaries`), and by first byte and
/// length for edit-distance typos, so a lookup costs only a few candidate
/// comparisons however many lists there are.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct TypoIndex {
    exact: rustc_hash::FxHashSet<String>,
    /// Hash of the normalised name → first name with it.
    normalised: rustc_hash::FxHashMap<u64, String>,
    by_start: rustc_hash::FxHashMap<(u8, usize), Vec<String>>,
    enabled: bool,
}

/// The bytes of `s` with separators dropped and case folded.
fn normalised(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes()
        .filter(|b| *b != b'_' && *b != b'-')
        .map(|b| b.to_ascii_lowercase())
}

/// Hash of [`normalised`], computed without allocating (this runs for
/// every literal inside every `in (...)`).
fn normalised_hash(s: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    for b in normalised(s) {
        h.write_u8(b);
    }
    h.finish()
}

impl TypoIndex {
    fn new<'a>(names: impl Iterator<Item = &'a str>, enabled: bool) -> TypoIndex {
        let mut t = TypoIndex {
            exact: Default::default(),
            normalised: Default::default(),
            by_start: Default::default(),
            enabled,
        };
        if !enabled {
            return t;
        }
        for n in names {
            t.exact.insert(n.to_string());
            t.normalised
                .entry(normalised_hash(n))
                .or_insert_with(|| n.to_string());
            if let Some(&b) = n.as_bytes().first() {
                t.by_start
                    .entry((b, n.len()))
                    .or_default()
                    .push(n.to_string());
            }
        }
        t
    }

    fn contains(&self, v: &str) -> bool {
        self.exact.contains(v)
    }

    /// A list name close to `v`: equal once normalised, or within the edit
    /// distance of [`suggest`] among names of the same first byte and a
    /// similar length (at most 64 compared).
    fn suggest(&self, v: &str) -> Option<&str> {
        if let Some(n) = self.normalised.get(&normalised_hash(v)) {
            if normalised(n).eq(normalised(v)) {
                return Some(n);
            }
        }
        let first = *v.as_bytes().first()?;
        let slack = (v.len() / 3).max(1);
        let candidates = (v.len().saturating_sub(slack)..=v.len() + slack)
            .filter_map(|len| self.by_start.get(&(first, len)))
            .flatten()
            .map(String::as_str)
            .take(64);
        suggest(v, candidates)
    }
}

/// Our lint: a literal inside a list operand that is not a list but is
/// close to one (the seed's `(webfetchbinaries)`).
fn list_typo(expr: &Expr, lists: &TypoIndex, map: &dyn Fn(Span) -> Loc, out: &mut Vec<Diagnostic>) {
    let mut check = |v: &str, span: Span| {
        let ident_like = v.len() >= 6
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !lists.enabled || !ident_like || lists.contains(v) {
            return;
        }
        if let Some(s) = lists.suggest(v) {
            let loc = map(span);
            out.push(
                Diagnostic::new(
                    "list-typo",
                    loc,
                    format!("'{v}' is not a list: Falco compares it as a literal string. Did you mean the list '{s}'?"),
                )
                .with_suggestion(format!("use the list '{s}'"), loc.span, s),
            );
        }
    };
    walk(expr, &mut |e| {
        if let Expr::Binary { op, rhs, .. } = e {
            if op.kind.is_list_op() || op.modifier.is_some() {
                match rhs {
                    Rhs::List(l) => {
                        for v in &l.items {
                            if v.quoted.is_none() {
                                check(&v.text, v.span);
                            }
                        }
                    }
                    Rhs::Ident(n) => check(&n.text, n.span),
                    _ => {}
                }
            }
        }
    });
}

fn walk(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(expr);
    match expr {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            children.iter().for_each(|c| walk(c, f))
        }
        Expr::Not { child, .. } => walk(child, f),
        _ => {}
    }
}

/// Work space shared by the rules of one compilation.
struct RuleScratch<'a> {
    /// The event sources known in this configuration.
    known_sources: Vec<&'static str>,
    /// (macro, source, skip) → (failed, skipped): a macro checks the same
    /// way for every rule of one context.
    checked_macros: FxHashMap<(usize, &'a str, bool), (bool, bool)>,
    /// Per macro: the last rule that reached it (membership of
    /// `reachable` in constant time).
    reached: Vec<u32>,
    reachable: Vec<usize>,
}

fn compile_rule<'a>(
    env: &Env<'a>,
    r: &'a RuleEntry,
    rule_index: u32,
    macro_preps: &[Arc<Prepared>],
    memo: &mut Session<'_>,
    out: &mut Compiled,
    scratch: &mut RuleScratch<'a>,
) -> CompiledRule {
    let c = env.collected;
    let source = r.source();
    let known = scratch.known_sources.contains(&source);
    let mut cr = CompiledRule {
        name: r.name.clone(),
        condition: r.condition.clone(),
        subst: Arc::default(),
        parsed: Arc::new(ParsedCondition {
            expr: None,
            errors: Vec::new(),
        }),
        evttypes: None,
        ok: false,
        skipped: false,
        known_source: known,
    };
    let def_loc = r.condition.map(Span::empty(0));
    if !known {
        let loc = r.name_loc;
        out.diagnostics.push(Diagnostic::new(
            "unknown-source",
            loc,
            format!("Unknown source {source}, skipping"),
        ));
        // Falco still validates exception comps for such rules.
        let mut scratch = Composite::default();
        fold_exceptions(r, None, &mut scratch, &mut out.diagnostics);
        return cr;
    }
    // 1. exceptions folded into the condition.
    let mut ex_ok = true;
    if !r.exceptions.is_empty() {
        let scope = Scope::new(source, env.plugins, env.imported);
        // `(condition)` then the clauses; kept only when there is one.
        let mut wrapped = Composite {
            text: String::with_capacity(2 * r.condition.text.len() + 64),
            parts: Vec::with_capacity(r.condition.parts.len() + 16),
        };
        wrapped.push_glue("(", def_loc);
        append_composite(&mut wrapped, &r.condition);
        wrapped.push_glue(")", def_loc);
        let bare = wrapped.text.len();
        ex_ok = fold_exceptions(r, Some(&scope), &mut wrapped, &mut out.diagnostics);
        if wrapped.text.len() > bare {
            cr.condition = wrapped;
        }
    }
    let cond = &cr.condition;
    // 2–4. output.
    let skip = r.skip_if_unknown_filter;
    let oc = memo.output(r.output.text.as_str(), source, skip);
    let omap = |s: Span| r.output.map(s);
    out.diagnostics
        .extend(oc.diags.iter().map(|d| place(d, &omap)));
    if oc.skipped {
        cr.skipped = true;
        return cr;
    }
    // 5. list substitution + parse.
    let prep = memo.prepared(cond.text.as_str());
    let subst = &prep.subst;
    for (vi, _) in &subst.uses {
        out.list_used[env.lists.v2l[*vi]] = true;
    }
    let map = |s: Span| cond.map(subst.map.map(s));
    out.diagnostics
        .extend(prep.diags.iter().map(|d| place(d, &map)));
    let Some(expr) = &prep.parsed.expr else {
        cr.subst = prep.subst.clone();
        cr.parsed = prep.parsed.clone();
        return cr;
    };
    let _ = expr;
    // 6. macro expansion: every macro is visible to rules.
    let mut ok = prep.parsed.errors.is_empty() && ex_ok && !oc.failed;
    let reachable = &mut scratch.reachable;
    let reached = &mut scratch.reached;
    reachable.clear();
    for (name, span) in &prep.refs {
        match c.macro_by_name.get(name) {
            Some(&j) => {
                out.macro_used[j] = true;
                if std::mem::replace(&mut reached[j], rule_index) != rule_index {
                    reachable.push(j);
                }
            }
            None => {
                ok = false;
                out.diagnostics
                    .extend(undefined_macro(env, name, map(*span), None));
            }
        }
    }
    // Transitive macros (for type checking and event types).
    let mut k = 0;
    while k < reachable.len() {
        let j = reachable[k];
        if out.macros[j].in_loop || !out.macros[j].parsed.errors.is_empty() {
            ok = false;
        }
        for (_, _, t) in &out.macros[j].refs {
            match t {
                Some(t) => {
                    if std::mem::replace(&mut reached[*t], rule_index) != rule_index {
                        reachable.push(*t);
                    }
                }
                None => ok = false,
            }
        }
        k += 1;
    }
    // 7–9. type check the rule's own tree, then each reachable macro once
    // per (source, skip) context.
    let typed = memo.checked_in(cond.text.as_str(), &prep, source, skip);
    let (mut failed, mut skipped) = (typed.failed, typed.skipped);
    let mut rule_diags: Vec<Diagnostic> = typed.diags.iter().map(|d| place(d, &map)).collect();
    for &j in reachable.iter() {
        let ckey = (j, source, skip);
        // A macro checks the same way for every rule of one context:
        // checked once, its diagnostics reported once.
        if let Some(&(f, s)) = scratch.checked_macros.get(&ckey) {
            failed |= f;
            skipped |= s;
            continue;
        }
        let m = &c.macros[j];
        let cm = &out.macros[j];
        if cm.expr().is_none() {
            continue;
        }
        let mt = memo.checked_in(m.condition.text.as_str(), &macro_preps[j], source, skip);
        let mmap = |s: Span| m.condition.map(cm.subst.map.map(s));
        failed |= mt.failed;
        skipped |= mt.skipped;
        scratch.checked_macros.insert(ckey, (mt.failed, mt.skipped));
        let rule_loc = r.condition.map(Span::empty(0));
        for d in &mt.diags {
            rule_diags.push(place(d, &mmap).with_related(
                rule_loc,
                format!("in macro '{}' used by rule '{}'", m.name, r.name),
            ));
        }
    }
    cr.skipped = skipped;
    ok &= !failed && !skipped;
    // libsinsp's compiler warnings exist only for rules that compiled.
    if !ok {
        rule_diags.retain(|d| !COMPILER_WARNINGS.contains(&d.code));
    }
    out.diagnostics.append(&mut rule_diags);
    cr.ok = ok;
    // 10. event types.
    if ok && source == "syscall" {
        let macros: Vec<(&str, &str, &Prepared)> = reachable
            .iter()
            .map(|&j| {
                let m = &c.macros[j];
                (m.name.as_str(), m.condition.text.as_str(), &*macro_preps[j])
            })
            .collect();
        let set = memo.evttypes(cond.text.as_str(), &prep, &macros);
        let loc = r.name_loc;
        if set.is_empty() {
            out.diagnostics.push(Diagnostic::new(
                "unreachable-rule",
                loc,
                format!("Rule '{}' can never match: its conditions on evt.type exclude every event type", r.name),
            ));
        } else if set.len() > 100 && r.warn_evttypes {
            out.diagnostics.push(Diagnostic::new(
                "no-evttype",
                loc,
                "Rule matches too many evt.type values. This has a significant performance penalty.",
            ));
        }
        cr.evttypes = Some((*set).clone());
    }
    cr.subst = prep.subst.clone();
    cr.parsed = prep.parsed.clone();
    cr
}

/// The event types of a rule's tree, its macros looked up in `macros`.
pub fn rule_evttypes(
    expr: Option<&Expr>,
    macros: &[(String, Option<&Expr>)],
    scope: &Scope,
) -> EvtSet {
    let lookup = |name: &str| -> Option<&Expr> {
        macros.iter().find(|(n, _)| n == name).and_then(|(_, e)| *e)
    };
    match expr {
        Some(e) => evttypes(e, &lookup, scope),
        None => EvtSet::empty(),
    }
}

#[cfg(test)]
mod loop_tests {
    use super::*;

    /// Whether `from`'s references reach `target` (the definition).
    fn reaches(macros: &[CompiledMacro], from: usize, target: usize) -> bool {
        let mut seen = vec![false; macros.len()];
        let mut stack: Vec<usize> = macros[from].refs.iter().filter_map(|r| r.2).collect();
        while let Some(i) = stack.pop() {
            if i == target {
                return true;
            }
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(macros[i].refs.iter().filter_map(|r| r.2));
            }
        }
        false
    }

    proptest::proptest! {
        #[test]
        fn in_loops_is_every_macro_that_reaches_itself(
            edges in proptest::collection::vec(
                proptest::collection::vec(proptest::option::of(0usize..12), 0..4),
                1..12,
            ),
        ) {
            let n = edges.len();
            let macros: Vec<CompiledMacro> = edges
                .iter()
                .map(|refs| CompiledMacro {
                    name: Str::default(),
                    subst: Arc::default(),
                    parsed: Arc::new(ParsedCondition { expr: None, errors: Vec::new() }),
                    refs: refs
                        .iter()
                        .map(|t| (String::new(), Span::empty(0), t.map(|t| t % n)))
                        .collect(),
                    in_loop: false,
                })
                .collect();
            let want: Vec<usize> = (0..n).filter(|&i| reaches(&macros, i, i)).collect();
            proptest::prop_assert_eq!(in_loops(&macros), want);
        }
    }
}

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
use crate::source::Composite;
use falconer_syntax::ast::*;
use falconer_text::{suggest, Span};
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
    pub name: String,
    pub subst: Substituted,
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
    pub name: String,
    /// Condition with exceptions folded in, before list substitution.
    pub condition: Composite,
    pub subst: Substituted,
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
    pub list_items: Vec<Vec<String>>,
    pub macros: Vec<CompiledMacro>,
    pub rules: Vec<CompiledRule>,
    pub diagnostics: Vec<Diagnostic>,
    pub list_used: Vec<bool>,
    pub macro_used: Vec<bool>,
}

/// The environment a compilation runs in.
pub struct Env<'a> {
    pub collected: &'a Collected,
    pub parse: ParseFn<'a>,
    /// Plugins loaded (defaults, config, required_plugin_versions).
    pub plugins: &'a [String],
    /// Macros defined in workspace files outside the load order.
    pub other_macros: &'a HashMap<String, Loc>,
    /// Whether the list-typo lint runs (it is off in the config otherwise).
    pub list_typo: bool,
    /// Fields imported from a real Falco's list.
    pub imported: Option<&'a Arc<falconer_catalog::ImportedCatalog>>,
}

/// Expands lists inside lists (C.11): an item naming a list defined
/// before the containing list's visibility is replaced by its items.
pub fn expand_lists(c: &Collected, used: &mut [bool]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = c
        .lists
        .iter()
        .map(|l| l.items.iter().map(|(t, _)| t.value.clone()).collect())
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
                _ => expanded.push(t.value.clone()),
            }
        }
        out[i] = expanded;
    }
    out
}

fn list_views<'a>(c: &'a Collected, items: &'a [Vec<String>]) -> Vec<ListView<'a>> {
    // Definition order.
    let mut order: Vec<usize> = (0..c.lists.len()).collect();
    order.sort_by_key(|&i| c.lists[i].index);
    order
        .into_iter()
        .map(|i| ListView {
            name: &c.lists[i].name,
            items: &items[i],
        })
        .collect()
}

/// Maps list-view indices (definition order) back to list indices.
fn view_to_list(c: &Collected) -> Vec<usize> {
    let mut order: Vec<usize> = (0..c.lists.len()).collect();
    order.sort_by_key(|&i| c.lists[i].index);
    order
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

pub fn compile(env: &Env<'_>) -> Compiled {
    let c = env.collected;
    let mut out = Compiled {
        list_used: vec![false; c.lists.len()],
        macro_used: vec![false; c.macros.len()],
        ..Default::default()
    };
    let list_items = expand_lists(c, &mut out.list_used);
    let views = ListIndex::new(list_views(c, &list_items));
    let v2l = view_to_list(c);
    let list_names = TypoIndex::new(c.lists.iter().map(|l| l.name.as_str()), env.list_typo);

    // ---- macros ----
    for m in &c.macros {
        let subst = substitute(&m.condition.text, &views);
        for (vi, _) in &subst.uses {
            out.list_used[v2l[*vi]] = true;
        }
        let parsed = (env.parse)(&subst.text);
        let map = |s: Span| m.condition.map(subst.map.map(s));
        syntax_diags(&parsed, &map, &mut out.diagnostics);
        let mut refs = Vec::new();
        if let Some(e) = &parsed.expr {
            let mut raw = Vec::new();
            macro_refs(e, &mut raw);
            for (name, span) in raw {
                let target = c
                    .macro_by_name
                    .get(&name)
                    .copied()
                    .filter(|&j| c.macros[j].index < m.visibility);
                refs.push((name, span, target));
            }
            list_typo(e, &list_names, &map, &mut out.diagnostics);
        }
        out.macros.push(CompiledMacro {
            name: m.name.clone(),
            subst,
            parsed,
            refs,
            in_loop: false,
        });
    }
    // Undefined references and loops, and macro-to-macro use.
    for i in 0..out.macros.len() {
        let m = &c.macros[i];
        for (name, span, target) in out.macros[i].refs.clone() {
            match target {
                Some(j) => out.macro_used[j] = true,
                None => {
                    let map = |s: Span| m.condition.map(out.macros[i].subst.map.map(s));
                    let d = undefined_macro(
                        env,
                        &name,
                        map(span),
                        c.macro_by_name.get(&name).map(|&j| c.macros[j].name_loc),
                    );
                    out.diagnostics.extend(d);
                }
            }
        }
    }
    for i in 0..out.macros.len() {
        if reaches(&out.macros, i, i) {
            out.macros[i].in_loop = true;
            let m = &c.macros[i];
            let loc = m.name_loc;
            out.diagnostics.push(Diagnostic::new(
                "macro-loop",
                loc,
                format!("reference loop in macro '{}'", m.name),
            ));
        }
    }

    // ---- rules ----
    let mut checked_macros: HashMap<(usize, String, bool), (bool, bool)> = HashMap::new();
    for r in &c.rules {
        let cr = compile_rule(
            env,
            r,
            &views,
            &v2l,
            &list_names,
            &mut out,
            &mut checked_macros,
        );
        out.rules.push(cr);
    }

    out.list_items = list_items.clone();
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

fn reaches(macros: &[CompiledMacro], from: usize, target: usize) -> bool {
    let mut seen = vec![false; macros.len()];
    let mut stack: Vec<usize> = macros[from].refs.iter().filter_map(|r| r.2).collect();
    while let Some(i) = stack.pop() {
        if i == target {
            return true;
        }
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(macros[i].refs.iter().filter_map(|r| r.2));
    }
    false
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
struct TypoIndex<'a> {
    exact: rustc_hash::FxHashSet<&'a str>,
    /// Hash of the normalised name → first name with it.
    normalised: rustc_hash::FxHashMap<u64, &'a str>,
    by_start: rustc_hash::FxHashMap<(u8, usize), Vec<&'a str>>,
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

impl<'a> TypoIndex<'a> {
    fn new(names: impl Iterator<Item = &'a str>, enabled: bool) -> TypoIndex<'a> {
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
            t.exact.insert(n);
            t.normalised.entry(normalised_hash(n)).or_insert(n);
            if let Some(&b) = n.as_bytes().first() {
                t.by_start.entry((b, n.len())).or_default().push(n);
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
    fn suggest(&self, v: &str) -> Option<&'a str> {
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
            .copied()
            .take(64);
        suggest(v, candidates)
    }
}

/// Our lint: a literal inside a list operand that is not a list but is
/// close to one (the seed's `(webfetchbinaries)`).
fn list_typo(
    expr: &Expr,
    lists: &TypoIndex<'_>,
    map: &dyn Fn(Span) -> Loc,
    out: &mut Vec<Diagnostic>,
) {
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

#[allow(clippy::too_many_arguments)]
fn compile_rule(
    env: &Env<'_>,
    r: &RuleEntry,
    views: &ListIndex<'_>,
    v2l: &[usize],
    list_names: &TypoIndex<'_>,
    out: &mut Compiled,
    checked_macros: &mut HashMap<(usize, String, bool), (bool, bool)>,
) -> CompiledRule {
    let c = env.collected;
    let source = r.source();
    let known = cat::known_sources(env.plugins, env.imported.map(|a| &**a)).contains(&source);
    let scope = Scope::new(source, env.plugins, env.imported);
    let mut cr = CompiledRule {
        name: r.name.clone(),
        condition: r.condition.clone(),
        subst: Substituted::default(),
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
    let mut cond = r.condition.clone();
    let mut ex_clause = Composite::default();
    let ex_ok = fold_exceptions(r, Some(&scope), &mut ex_clause, &mut out.diagnostics);
    if !ex_clause.text.is_empty() {
        let mut wrapped = Composite::default();
        wrapped.push_glue("(", def_loc);
        append_composite(&mut wrapped, cond);
        wrapped.push_glue(")", def_loc);
        append_composite(&mut wrapped, ex_clause);
        cond = wrapped;
    }
    cr.condition = cond.clone();
    // 2–4. output.
    let oc = check_output(&r.output, &scope, r.skip_if_unknown_filter);
    out.diagnostics.extend(oc.diags);
    if oc.skipped {
        cr.skipped = true;
        return cr;
    }
    // 5. list substitution + parse.
    let subst = substitute(&cond.text, views);
    let parsed = (env.parse)(&subst.text);
    cr.subst = subst;
    cr.parsed = parsed.clone();
    let subst = &cr.subst;
    for (vi, _) in &subst.uses {
        out.list_used[v2l[*vi]] = true;
    }
    let map = |s: Span| cond.map(subst.map.map(s));
    syntax_diags(&parsed, &map, &mut out.diagnostics);
    let Some(expr) = &parsed.expr else {
        return cr;
    };
    list_typo(expr, list_names, &map, &mut out.diagnostics);
    // 6. macro expansion: every macro is visible to rules.
    let mut ok = parsed.errors.is_empty() && ex_ok && !oc.failed;
    let mut refs = Vec::new();
    macro_refs(expr, &mut refs);
    let mut reachable: Vec<usize> = Vec::new();
    for (name, span) in refs {
        match c.macro_by_name.get(&name) {
            Some(&j) => {
                out.macro_used[j] = true;
                if !reachable.contains(&j) {
                    reachable.push(j);
                }
            }
            None => {
                ok = false;
                out.diagnostics
                    .extend(undefined_macro(env, &name, map(span), None));
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
                Some(t) if !reachable.contains(t) => reachable.push(*t),
                Some(_) => {}
                None => ok = false,
            }
        }
        k += 1;
    }
    // 7–9. type check the rule's own tree, then each reachable macro once
    // per (source, skip) context.
    let mut checker = Checker {
        scope: &scope,
        map: &map,
        diags: Vec::new(),
        skip_unknown: r.skip_if_unknown_filter,
        failed: false,
        skipped: false,
    };
    checker.check_expr(expr);
    let (mut failed, mut skipped) = (checker.failed, checker.skipped);
    let mut rule_diags = std::mem::take(&mut checker.diags);
    for &j in &reachable {
        let key = (j, source.to_string(), r.skip_if_unknown_filter);
        // A macro checks the same way for every rule of one context:
        // checked once, its diagnostics reported once.
        if let Some(&(f, s)) = checked_macros.get(&key) {
            failed |= f;
            skipped |= s;
            continue;
        }
        let m = &c.macros[j];
        let cm = &out.macros[j];
        let Some(mexpr) = cm.expr() else { continue };
        let mmap = |s: Span| m.condition.map(cm.subst.map.map(s));
        let mut mc = Checker {
            scope: &scope,
            map: &mmap,
            diags: Vec::new(),
            skip_unknown: r.skip_if_unknown_filter,
            failed: false,
            skipped: false,
        };
        mc.check_expr(mexpr);
        failed |= mc.failed;
        skipped |= mc.skipped;
        checked_macros.insert(key, (mc.failed, mc.skipped));
        let rule_loc = r.condition.map(Span::empty(0));
        for d in mc.diags {
            rule_diags.push(d.with_related(
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
        let lookup = |name: &str| -> Option<&Expr> {
            c.macro_by_name
                .get(name)
                .and_then(|&j| out.macros[j].expr())
        };
        let set = evttypes(expr, &lookup, &scope);
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
        cr.evttypes = Some(set);
    }
    cr
}

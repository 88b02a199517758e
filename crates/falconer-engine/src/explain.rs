//! The tracer: why a rule matched an event, or why it did not, and which
//! parts of the rules a set of captures exercised (`falconer test`).
//!
//! A [`Tracer`] compiles the same rules as an [`Engine`] (same analysis,
//! same [`Program`] compiler, same extractors) but keeps, next to each
//! compiled condition, a tree of the same shape that says where every
//! node comes from: the rule's own text, a macro (the node a macro
//! reference expanded to carries the macro's name), an exception of the
//! rule and one entry (values row) of it. The tree is built by walking the
//! rule's parsed condition and expanding macro references exactly as
//! `falconer_analysis::expand` does; the expanded condition is checked to
//! be *equal* to `expand::rule_expr`'s (the engine's input), so the
//! labels always describe what the engine evaluates.
//!
//! Two evaluations over an event whose state was applied:
//! - [`Tracer::trace`]: every node evaluated (checks with the field values
//!   they saw), each marked *reached* or not as the engine's
//!   short-circuit evaluation would reach it; [`Trace::render`] prints
//!   the tree along the decisive path and [`Trace::because`] the leaves
//!   that decided the result;
//! - [`Tracer::cover_event`]: the candidate rules of the event, in the
//!   engine's order and with its `rule_matching`, evaluated with
//!   short-circuits, counting for each rule, macro and exception entry how
//!   often it was evaluated true and false ([`Tracer::coverage`]). It
//!   returns the rules that matched, which the caller can compare with
//!   [`Engine::process`] (they must agree).
//!
//! Operators, values and missing-field semantics are the evaluator's own
//! ([`Frame::eval`] on each check); only the boolean connectives are
//! walked here, with the evaluator's rules (`and`: all, `or`: any, `not`:
//! negation, left to right).

use std::collections::HashMap;
use std::fmt;

use falconer_analysis::cat::Scope;
use falconer_analysis::collect::Collected;
use falconer_analysis::compile::Compiled;
use falconer_analysis::expand::{rule_expr, ExpandError};
use falconer_analysis::model::ExValue;
use falconer_analysis::{AnalysisHost, Loc};
use falconer_catalog::{catalog, ParsedValue};
use falconer_syntax::ast::Expr;
use falconer_syntax::print_condition;
use falconer_text::{Encoding, LineIndex, Span};

use crate::engine::{Engine, RuleMatching};
use crate::extract::{EventCtx, FieldExtractor};
use crate::program::{Frame, Multi, NodeDef, NodeId, Program, RhsKind, SlotId};
use crate::value::render_values;

/// A 1-based position in a rules file (column in characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.column)
    }
}

/// Where a node of a condition comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    /// The node a reference to this macro expanded to.
    Macro { name: String },
    /// `not (...)`: the clause Falco folds in for this exception.
    Exception { name: String },
    /// One entry of an exception: a row of `values` (for exceptions whose
    /// `fields` is a list), or all the values (a single field).
    ExceptionEntry {
        exception: String,
        index: usize,
        values: String,
    },
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Macro { name } => write!(f, "macro {name}"),
            Label::Exception { name } => write!(f, "exception {name}"),
            Label::ExceptionEntry { index, values, .. } => {
                write!(f, "entry {} {values}", index + 1)
            }
        }
    }
}

/// The static tree of one rule: same shape as its compiled [`Node`].
#[derive(Clone, Debug)]
pub struct ExplainNode {
    pub labels: Vec<Label>,
    /// The expression as written where it comes from (lists
    /// substituted), printed.
    pub text: String,
    pub at: Option<Position>,
    pub children: Vec<ExplainNode>,
    /// Coverage items this node stands for (its labels; the rule at the
    /// root).
    cov: Vec<u32>,
}

/// What coverage counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoverageKind {
    Rule,
    Macro,
    ExceptionEntry,
}

impl CoverageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageKind::Rule => "rule",
            CoverageKind::Macro => "macro",
            CoverageKind::ExceptionEntry => "exception entry",
        }
    }
}

/// One thing coverage counts: a rule, a macro, an exception entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CoverageItem {
    pub kind: CoverageKind,
    /// Rule name, macro name, or `rule / exception #n`.
    pub name: String,
    /// The entry's values (exception entries).
    pub detail: Option<String>,
    /// Where it is defined.
    pub at: Option<Position>,
}

/// How often an item was evaluated true and false.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hits {
    pub true_count: u64,
    pub false_count: u64,
}

struct TracedRule {
    name: String,
    compiled: Option<(NodeId, ExplainNode)>,
    event_types: Vec<String>,
}

/// The tracer of one ruleset (see the module documentation).
pub struct Tracer {
    program: Program,
    extractors: Vec<Option<FieldExtractor>>,
    frame: Frame,
    rules: Vec<TracedRule>,
    by_name: HashMap<String, usize>,
    items: Vec<CoverageItem>,
    hits: Vec<Hits>,
    matching: RuleMatching,
    notes: Vec<String>,
}

/// One evaluated node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceNode {
    pub labels: Vec<Label>,
    pub text: String,
    pub at: Option<Position>,
    pub value: bool,
    /// The engine's left-to-right, short-circuit evaluation gets here.
    pub reached: bool,
    /// For a check: `field = value` for its field (and a right-hand
    /// field or transformer).
    pub actual: Option<String>,
    pub children: Vec<TraceNode>,
    kind: TraceKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TraceKind {
    And,
    Or,
    Not,
    Check,
}

/// A rule's condition evaluated on one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub rule: String,
    pub evt_num: u64,
    pub evt_type: String,
    pub matched: bool,
    pub root: TraceNode,
}

/// One deciding check: the labels on the way to it, whether a `not` is
/// on the way, the check and what it saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub path: Vec<String>,
    pub text: String,
    pub value: bool,
    pub actual: Option<String>,
    pub at: Option<Position>,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.path {
            write!(f, "{p} > ")?;
        }
        write!(f, "`{}` is {}", self.text, self.value)?;
        if let Some(a) = &self.actual {
            write!(f, " ({a})")?;
        }
        Ok(())
    }
}

struct Files {
    files: Vec<(String, String, LineIndex)>,
}

impl Files {
    fn new(host: &AnalysisHost) -> Files {
        Files {
            files: (0..host.file_count() as u32)
                .map(|i| {
                    let text = host.file_text(i).to_string();
                    let index = LineIndex::new(&text);
                    (host.file_path(i).to_string(), text, index)
                })
                .collect(),
        }
    }

    fn position(&self, loc: Loc) -> Option<Position> {
        let (path, text, index) = self.files.get(loc.file as usize)?;
        let start = loc.span.start.min(text.len() as u32);
        let lc = index.line_col(text, start, Encoding::Chars);
        Some(Position {
            path: path.clone(),
            line: lc.line + 1,
            column: lc.col + 1,
        })
    }
}

#[derive(Clone, Copy)]
enum Where {
    Rule(usize),
    Macro(usize),
}

struct ExInfo {
    at: Loc,
    name: String,
    /// Values of each entry, as written.
    rows: Vec<String>,
    single_field: bool,
}

struct Builder<'a> {
    collected: &'a Collected,
    compiled: &'a Compiled,
    files: &'a Files,
    exceptions: Vec<ExInfo>,
    rule: String,
    items: &'a mut Vec<CoverageItem>,
    item_ids: &'a mut HashMap<(CoverageKind, String), u32>,
}

fn value_text(v: &ExValue) -> String {
    match v {
        ExValue::Scalar(t) => t.value.to_string(),
        ExValue::Seq(items, _) => {
            let parts: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

impl Builder<'_> {
    fn loc(&self, w: Where, span: Span) -> Loc {
        match w {
            Where::Rule(i) => {
                let cr = &self.compiled.rules[i];
                cr.condition.map(cr.subst.map.map(span))
            }
            Where::Macro(j) => self.collected.macros[j]
                .condition
                .map(self.compiled.macros[j].subst.map.map(span)),
        }
    }

    fn item(
        &mut self,
        kind: CoverageKind,
        name: String,
        detail: Option<String>,
        at: Option<Position>,
    ) -> u32 {
        let key = (kind, name.clone());
        if let Some(&id) = self.item_ids.get(&key) {
            return id;
        }
        let id = self.items.len() as u32;
        self.items.push(CoverageItem {
            kind,
            name,
            detail,
            at,
        });
        self.item_ids.insert(key, id);
        id
    }

    fn node(&self, e: &Expr, w: Where, children: Vec<ExplainNode>) -> ExplainNode {
        ExplainNode {
            labels: Vec::new(),
            text: print_condition(e),
            at: self.files.position(self.loc(w, e.span())),
            children,
            cov: Vec::new(),
        }
    }

    /// Mirrors `expand::expand_expr`, building the labelled tree.
    fn build(
        &mut self,
        e: &Expr,
        w: Where,
        stack: &mut Vec<usize>,
    ) -> Result<(Expr, ExplainNode), ExpandError> {
        Ok(match e {
            Expr::And { children, span } | Expr::Or { children, span } => {
                let mut exprs = Vec::with_capacity(children.len());
                let mut nodes = Vec::with_capacity(children.len());
                for c in children {
                    let (x, n) = self.build(c, w, stack)?;
                    exprs.push(x);
                    nodes.push(n);
                }
                let x = if matches!(e, Expr::And { .. }) {
                    Expr::And {
                        children: exprs,
                        span: *span,
                    }
                } else {
                    Expr::Or {
                        children: exprs,
                        span: *span,
                    }
                };
                (x, self.node(e, w, nodes))
            }
            Expr::Not { child, span } => {
                let (x, n) = self.build(child, w, stack)?;
                let mut node = self.node(e, w, vec![n]);
                if let Where::Rule(_) = w {
                    self.label_exception(&mut node, *span, w);
                }
                (
                    Expr::Not {
                        child: Box::new(x),
                        span: *span,
                    },
                    node,
                )
            }
            Expr::Macro(n) => {
                let j = *self
                    .collected
                    .macro_by_name
                    .get(&n.text)
                    .ok_or_else(|| ExpandError::UndefinedMacro(n.text.clone()))?;
                if stack.contains(&j) {
                    return Err(ExpandError::Loop(n.text.clone()));
                }
                let m = &self.compiled.macros[j];
                if !m.parsed.errors.is_empty() {
                    return Err(ExpandError::Syntax(n.text.clone()));
                }
                let inner = m
                    .expr()
                    .ok_or_else(|| ExpandError::Syntax(n.text.clone()))?;
                stack.push(j);
                let (x, mut node) = self.build(inner, Where::Macro(j), stack)?;
                stack.pop();
                let name = self.collected.macros[j].name.to_string();
                let at = self.files.position(self.collected.macros[j].name_loc);
                let id = self.item(CoverageKind::Macro, name.clone(), None, at);
                node.labels.insert(0, Label::Macro { name });
                node.cov.insert(0, id);
                (x, node)
            }
            Expr::Error { .. } => return Err(ExpandError::Syntax("?".into())),
            other => (other.clone(), self.node(e, w, Vec::new())),
        })
    }

    /// Labels a `not (...)` of the rule's own text that Falco's exception
    /// folding generated (its `not` maps to the exception's name).
    fn label_exception(&mut self, node: &mut ExplainNode, span: Span, w: Where) {
        let at = self.loc(w, Span::empty(span.start));
        let Some(k) = self.exceptions.iter().position(|x| x.at == at) else {
            return;
        };
        let name = self.exceptions[k].name.clone();
        node.labels.push(Label::Exception { name: name.clone() });
        let rows = self.exceptions[k].rows.clone();
        let single = self.exceptions[k].single_field;
        let ex_pos = self.files.position(at);
        let rule = self.rule.clone();
        let Some(child) = node.children.first_mut() else {
            return;
        };
        let label = |this: &mut Self, n: &mut ExplainNode, index: usize, values: String| {
            let id = this.item(
                CoverageKind::ExceptionEntry,
                format!("{rule} / {name} #{}", index + 1),
                Some(values.clone()),
                ex_pos.clone(),
            );
            n.labels.push(Label::ExceptionEntry {
                exception: name.clone(),
                index,
                values,
            });
            n.cov.push(id);
        };
        if single {
            label(self, child, 0, rows.join(", "));
        } else if rows.len() == 1 {
            label(self, child, 0, rows[0].clone());
        } else if child.children.len() == rows.len() {
            // Several rows: `((row) or (row) ...)`, one child per row.
            for (i, (c, r)) in child.children.iter_mut().zip(rows).enumerate() {
                label(self, c, i, r);
            }
        }
    }
}

fn field_render(
    p: &Program,
    frame: &mut Frame,
    slot: SlotId,
    fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
) -> String {
    let s = &p.slots[slot as usize];
    let (is_list, pf, name) = (
        s.is_list || s.multi != Multi::Single,
        s.print_format,
        s.name.clone(),
    );
    let vals = frame.values(p, slot, fill);
    let mut out = String::new();
    render_values(vals, is_list, pf, &mut out);
    format!("{name} = {out}")
}

impl Tracer {
    /// A tracer for the rules `engine` loaded from `host` (same order:
    /// rule `i` of the tracer is rule `i` of the engine).
    pub fn new(host: &AnalysisHost, engine: &Engine) -> Tracer {
        let collected = host.collected();
        let compiled = host.compiled();
        let plugins = host.plugins();
        let scope = Scope::new("syscall", &plugins, host.config().imported.as_ref());
        let fscope = scope.field_scope();
        let files = Files::new(host);
        let mut program = Program::new();
        let mut rules = Vec::new();
        let mut items = Vec::new();
        let mut item_ids = HashMap::new();
        let mut notes = Vec::new();
        let mut by_name = HashMap::new();
        for (ri, r) in engine.rules().iter().enumerate() {
            by_name.insert(r.name.clone(), ri);
            let Some(&i) = collected.rule_by_name.get(&r.name) else {
                notes.push(format!("rule '{}': not found in the analysis", r.name));
                rules.push(TracedRule {
                    name: r.name.clone(),
                    compiled: None,
                    event_types: Vec::new(),
                });
                continue;
            };
            let entry = &collected.rules[i];
            let exceptions = entry
                .exceptions
                .iter()
                .filter_map(|e| {
                    let rows: Vec<String> =
                        e.ex.values
                            .iter()
                            .flatten()
                            .chain(e.more_values.iter().map(|(v, _)| v))
                            .map(value_text)
                            .collect();
                    (!rows.is_empty()).then(|| ExInfo {
                        at: Loc {
                            file: e.item.file,
                            span: e.ex.name.span,
                        },
                        name: e.ex.name.value.to_string(),
                        rows,
                        single_field: matches!(e.ex.fields, Some(ExValue::Scalar(_))),
                    })
                })
                .collect();
            let mut b = Builder {
                collected,
                compiled,
                files: &files,
                exceptions,
                rule: r.name.clone(),
                items: &mut items,
                item_ids: &mut item_ids,
            };
            let rule_at = files.position(entry.name_loc);
            let rule_item = b.item(CoverageKind::Rule, r.name.clone(), None, rule_at);
            let event_types = compiled.rules[i]
                .evttypes
                .as_ref()
                .map(|s| {
                    let mut names: Vec<String> = Vec::new();
                    for code in 0..falconer_catalog::EVENT_CODE_UNIVERSE as u16 {
                        if s.contains(code) {
                            if let Some(n) = catalog().event_name(code) {
                                if !names.iter().any(|x| x == n) {
                                    names.push(n.to_string());
                                }
                            }
                        }
                    }
                    names
                })
                .unwrap_or_default();
            let built = compiled.rules[i]
                .parsed
                .expr
                .as_ref()
                .ok_or(ExpandError::Syntax(r.name.clone()))
                .and_then(|e| b.build(e, Where::Rule(i), &mut Vec::new()));
            let compiled_rule = match built {
                Ok((expr, mut tree)) => {
                    // The labelled expansion must be the engine's input.
                    match rule_expr(collected, compiled, &r.name) {
                        Ok(reference) if reference == expr => {}
                        _ => {
                            notes.push(format!(
                                "rule '{}': the traced expansion differs from the engine's",
                                r.name
                            ));
                        }
                    }
                    tree.cov.insert(0, rule_item);
                    match program.compile(&expr, &fscope) {
                        Ok(node) => Some((node, tree)),
                        Err(e) => {
                            notes.push(format!("rule '{}': {e}", r.name));
                            None
                        }
                    }
                }
                Err(e) => {
                    notes.push(format!("rule '{}': {e}", r.name));
                    None
                }
            };
            rules.push(TracedRule {
                name: r.name.clone(),
                compiled: compiled_rule,
                event_types,
            });
        }
        let extractors = program
            .fields
            .iter()
            .map(|r| FieldExtractor::new(r).ok())
            .collect();
        let frame = Frame::new(&program);
        let hits = vec![Hits::default(); items.len()];
        Tracer {
            program,
            extractors,
            frame,
            rules,
            by_name,
            items,
            hits,
            matching: engine.rule_matching(),
            notes,
        }
    }

    /// Problems met while building (a rule that could not be traced).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The index of a rule (the engine's index).
    pub fn rule_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn rule_name(&self, rule: usize) -> &str {
        &self.rules[rule].name
    }

    /// The event type names the rule is evaluated for (its evttype set).
    pub fn event_types(&self, rule: usize) -> &[String] {
        &self.rules[rule].event_types
    }

    /// The labelled tree of a rule.
    pub fn tree(&self, rule: usize) -> Option<&ExplainNode> {
        self.rules[rule].compiled.as_ref().map(|(_, t)| t)
    }

    /// Evaluates every node of `rule` for the current event (whose state
    /// was applied). `None` when the rule could not be traced.
    pub fn trace(&mut self, rule: usize, ctx: &EventCtx<'_>) -> Option<Trace> {
        let Tracer {
            program,
            extractors,
            frame,
            rules,
            ..
        } = self;
        let (node, tree) = rules[rule].compiled.as_ref()?;
        frame.next_event();
        let mut fill = |i: usize, out: &mut Vec<ParsedValue>| match &extractors[i] {
            Some(x) => x.extract(ctx, out),
            None => out.clear(),
        };
        let root = trace_node(program, frame, *node, tree, true, &mut fill);
        Some(Trace {
            rule: rules[rule].name.clone(),
            evt_num: ctx.event.num,
            evt_type: ctx.event.type_name().to_string(),
            matched: root.value,
            root,
        })
    }

    /// Evaluates the engine's candidate rules for the current event as the
    /// engine does (its order, short-circuits, `rule_matching`), counting
    /// coverage; returns the indices of the rules that matched. State-only
    /// events are not evaluated, as in the engine.
    pub fn cover_event(&mut self, engine: &Engine, ctx: &EventCtx<'_>) -> Vec<u32> {
        let mut matched = Vec::new();
        if ctx.event.is_state_only() {
            return matched;
        }
        let Tracer {
            program,
            extractors,
            frame,
            rules,
            hits,
            matching,
            ..
        } = self;
        frame.next_event();
        let mut fill = |i: usize, out: &mut Vec<ParsedValue>| match &extractors[i] {
            Some(x) => x.extract(ctx, out),
            None => out.clear(),
        };
        for &r in engine.candidates(ctx.event.code) {
            let Some((node, tree)) = rules.get(r as usize).and_then(|x| x.compiled.as_ref()) else {
                continue;
            };
            if cover_node(program, frame, *node, tree, &mut fill, hits) {
                matched.push(r);
                if *matching == RuleMatching::First {
                    break;
                }
            }
        }
        matched
    }

    /// Everything coverage counts for this ruleset, with the hits so far.
    pub fn coverage(&self) -> impl Iterator<Item = (&CoverageItem, Hits)> + '_ {
        self.items.iter().zip(self.hits.iter().copied())
    }

    /// Forgets the coverage hits.
    pub fn reset_coverage(&mut self) {
        self.hits.iter_mut().for_each(|h| *h = Hits::default());
    }
}

fn record(hits: &mut [Hits], cov: &[u32], value: bool) {
    for &c in cov {
        let h = &mut hits[c as usize];
        if value {
            h.true_count += 1;
        } else {
            h.false_count += 1;
        }
    }
}

fn cover_node(
    p: &Program,
    frame: &mut Frame,
    node: NodeId,
    t: &ExplainNode,
    fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    hits: &mut [Hits],
) -> bool {
    let v = match &p.nodes[node as usize] {
        NodeDef::And(cs) => {
            let mut all = true;
            for (&c, tc) in cs.iter().zip(&t.children) {
                if !cover_node(p, frame, c, tc, fill, hits) {
                    all = false;
                    break;
                }
            }
            all
        }
        NodeDef::Or(cs) => {
            let mut any = false;
            for (&c, tc) in cs.iter().zip(&t.children) {
                if cover_node(p, frame, c, tc, fill, hits) {
                    any = true;
                    break;
                }
            }
            any
        }
        NodeDef::Not(c) => match t.children.first() {
            Some(tc) => !cover_node(p, frame, *c, tc, fill, hits),
            None => frame.eval(p, node, fill),
        },
        NodeDef::Check(_) => frame.eval(p, node, fill),
    };
    if !t.cov.is_empty() {
        record(hits, &t.cov, v);
    }
    v
}

fn trace_node(
    p: &Program,
    frame: &mut Frame,
    node: NodeId,
    t: &ExplainNode,
    reached: bool,
    fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
) -> TraceNode {
    let mut out = TraceNode {
        labels: t.labels.clone(),
        text: t.text.clone(),
        at: t.at.clone(),
        value: false,
        reached,
        actual: None,
        children: Vec::new(),
        kind: TraceKind::Check,
    };
    match &p.nodes[node as usize] {
        NodeDef::And(cs) | NodeDef::Or(cs) => {
            let is_and = matches!(&p.nodes[node as usize], NodeDef::And(_));
            out.kind = if is_and {
                TraceKind::And
            } else {
                TraceKind::Or
            };
            let mut r = reached;
            let mut acc = is_and;
            for (&c, tc) in cs.iter().zip(&t.children) {
                let n = trace_node(p, frame, c, tc, r, fill);
                if is_and && !n.value {
                    r = false;
                    acc = false;
                }
                if !is_and && n.value {
                    r = false;
                    acc = true;
                }
                out.children.push(n);
            }
            out.value = acc;
        }
        NodeDef::Not(c) => {
            out.kind = TraceKind::Not;
            match t.children.first() {
                Some(tc) => {
                    let n = trace_node(p, frame, *c, tc, reached, fill);
                    out.value = !n.value;
                    out.children.push(n);
                }
                None => out.value = frame.eval(p, node, fill),
            }
        }
        NodeDef::Check(c) => {
            out.value = frame.eval(p, node, fill);
            let mut actual = field_render(p, frame, c.lhs, fill);
            if let RhsKind::Slot(r) = &c.rhs {
                actual.push_str(", ");
                actual.push_str(&field_render(p, frame, *r, fill));
            }
            out.actual = Some(actual);
        }
    }
    out
}

/// Lines of the rendered tree at most this wide (texts are cut).
const TEXT_WIDTH: usize = 100;
/// Children shown per node.
const MAX_CHILDREN: usize = 16;
/// Depth shown.
const MAX_DEPTH: usize = 12;

fn cut(s: &str, n: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        let mut t: String = one_line.chars().take(n.saturating_sub(3)).collect();
        t.push_str("...");
        t
    }
}

impl TraceNode {
    /// The children whose values decide this node's value: for a false
    /// `and` its first false child, for a true `or` its first true child,
    /// otherwise every child.
    fn decisive(&self) -> Vec<usize> {
        match self.kind {
            TraceKind::And if !self.value => self
                .children
                .iter()
                .position(|c| !c.value)
                .into_iter()
                .collect(),
            TraceKind::Or if self.value => self
                .children
                .iter()
                .position(|c| c.value)
                .into_iter()
                .collect(),
            _ => (0..self.children.len()).collect(),
        }
    }

    fn head(&self) -> String {
        let mut s = String::new();
        for l in &self.labels {
            s.push_str(&l.to_string());
            s.push_str(": ");
        }
        s.push_str(&cut(&self.text, TEXT_WIDTH));
        s
    }
}

impl Trace {
    /// The deciding checks, along the decisive path from the root.
    pub fn because(&self) -> Vec<Reason> {
        let mut out = Vec::new();
        collect_reasons(&self.root, &mut Vec::new(), &mut out);
        out
    }

    /// The share of the top-level conditions (`and` chains through
    /// macros flattened) that hold: how close the event came to matching.
    pub fn score(&self) -> (usize, usize) {
        let mut parts = Vec::new();
        flatten_and(&self.root, &mut parts);
        (parts.iter().filter(|n| n.value).count(), parts.len())
    }

    /// The tree, along the decisive path, one node per line, indented by
    /// two spaces per level: `✓`/`✗` for reached nodes, `-` for nodes the
    /// engine does not reach, then labels, the expression and, for
    /// checks, the value of its field.
    pub fn render(&self, indent: &str) -> String {
        let mut out = String::new();
        render_node(&self.root, indent, 0, true, &mut out);
        out
    }
}

fn flatten_and<'a>(n: &'a TraceNode, out: &mut Vec<&'a TraceNode>) {
    if n.kind == TraceKind::And {
        for c in &n.children {
            flatten_and(c, out);
        }
    } else {
        out.push(n);
    }
}

fn collect_reasons(n: &TraceNode, path: &mut Vec<String>, out: &mut Vec<Reason>) {
    if out.len() >= 8 {
        return;
    }
    let pushed = n.labels.len();
    for l in &n.labels {
        path.push(l.to_string());
    }
    let not = n.kind == TraceKind::Not && n.labels.is_empty();
    if not {
        path.push("not".into());
    }
    if n.kind == TraceKind::Check {
        out.push(Reason {
            path: path.clone(),
            text: n.text.clone(),
            value: n.value,
            actual: n.actual.clone(),
            at: n.at.clone(),
        });
    } else {
        for i in n.decisive() {
            collect_reasons(&n.children[i], path, out);
        }
    }
    for _ in 0..pushed + usize::from(not) {
        path.pop();
    }
}

fn render_node(n: &TraceNode, indent: &str, depth: usize, expand: bool, out: &mut String) {
    use std::fmt::Write;
    let mark = if !n.reached {
        "-"
    } else if n.value {
        "✓"
    } else {
        "✗"
    };
    let _ = write!(out, "{indent}{}{mark} {}", "  ".repeat(depth), n.head());
    if n.reached {
        if let Some(a) = &n.actual {
            let _ = write!(out, "    [{}]", cut(a, TEXT_WIDTH));
        }
    } else {
        out.push_str("    (not reached)");
    }
    out.push('\n');
    if !expand || !n.reached || n.kind == TraceKind::Check {
        return;
    }
    if depth >= MAX_DEPTH {
        let _ = writeln!(out, "{indent}{}  ...", "  ".repeat(depth));
        return;
    }
    let decisive = n.decisive();
    for (i, c) in n.children.iter().enumerate().take(MAX_CHILDREN) {
        render_node(c, indent, depth + 1, decisive.contains(&i), out);
    }
    if n.children.len() > MAX_CHILDREN {
        let _ = writeln!(
            out,
            "{indent}{}  ... {} more",
            "  ".repeat(depth),
            n.children.len() - MAX_CHILDREN
        );
    }
}

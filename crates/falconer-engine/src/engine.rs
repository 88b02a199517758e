//! The ruleset: the analysed rules compiled into one [`Program`], indexed
//! by event code like Falco's evttype index, evaluated per event with
//! `rule_matching` first or all, and their outputs formatted as Falco
//! prints them.

use std::sync::Arc;

use falconer_analysis::cat::Scope;
use falconer_analysis::collect::Collected;
use falconer_analysis::compile::Compiled;
use falconer_analysis::expand::{expand_expr, rule_expr};
use falconer_analysis::lists::{substitute, ListIndex, ListView};
use falconer_analysis::model::Priority;
use falconer_analysis::AnalysisHost;
use falconer_catalog::{FieldScope, ParsedValue, ASYNC_EVENT_CODE, EVENT_CODE_UNIVERSE};
use falconer_scap::Event;
use falconer_syntax::ast::Lhs;
use falconer_syntax::output::{parse_output, OutputSegment};

use crate::extract::{EventCtx, FieldExtractor};
use crate::program::{Frame, Jump, Multi, NodeDef, NodeId, Program, SlotId, ACCEPT, REJECT};
use crate::time;
use crate::value::{render_values, values_to_json};

/// Falco's `rule_matching` setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RuleMatching {
    /// Stop at the first matching rule (Falco's default).
    #[default]
    First,
    /// Report every matching rule.
    All,
}

/// How rules are selected and outputs built.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rules less severe than this are not loaded (Falco's `priority`).
    pub min_priority: Priority,
    pub rule_matching: RuleMatching,
    /// Append the fields that loaded plugins suggest for outputs
    /// (`container_id=%container.id ...`), as Falco's default
    /// `append_output: [suggested_output: true]` does.
    pub suggested_output: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_priority: Priority::Debug,
            rule_matching: RuleMatching::First,
            suggested_output: true,
        }
    }
}

/// Fields plugins flag as suggested for outputs (`EPF_FORMAT_SUGGESTED`),
/// in the plugin's field order: (plugin, field).
pub const SUGGESTED_FIELDS: &[(&str, &str)] = &[
    ("container", "container.id"),
    ("container", "container.name"),
    ("container", "container.image.repository"),
    ("container", "container.image.tag"),
    ("container", "k8s.pod.name"),
    ("container", "k8s.ns.name"),
    ("k8smeta", "k8smeta.pod.name"),
    ("k8smeta", "k8smeta.ns.name"),
];

/// The largest output token width honoured.
const MAX_WIDTH: usize = 65_536;

/// A compiled output format.
#[derive(Debug, Default)]
pub struct Output {
    segments: Vec<Segment>,
}

#[derive(Debug)]
enum Segment {
    Text(String),
    Token {
        slot: Option<SlotId>,
        width: Option<u32>,
    },
}

/// One loaded rule.
#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub priority: Priority,
    pub source: String,
    pub tags: Vec<String>,
    node: NodeId,
    output: Output,
}

/// An alert: a rule matched an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub evt_num: u64,
    pub ts: u64,
    pub rule: String,
    pub priority: Priority,
    pub source: String,
    pub tags: Vec<String>,
    /// The formatted output (without time and priority).
    pub output: String,
    /// Field values of the output by field text, in output order (the
    /// map is built on demand: [`Alert::output_fields`]).
    fields: Vec<(Arc<str>, serde_json::Value)>,
}

/// Escapes a line as Falco does for its text output: JSON string escapes
/// (quotes, backslashes, control characters) without the quotes.
pub fn falco_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(s, &mut out);
    out
}

/// [`falco_escape`] appending to `out`: the escapes of a JSON string as
/// serde_json writes them (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
/// other control characters as `\u00xx`), runs of plain text copied whole.
fn escape_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        // Eight plain bytes at a time.
        if let Some(w) = b.get(i..i + 8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            if !needs_escape(u64::from_le_bytes(a)) {
                i += 8;
                continue;
            }
        }
        let c = b[i];
        i += 1;
        let esc: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // Only ASCII bytes are escaped: `i - 1` is a character boundary.
        out.push_str(&s[start..i - 1]);
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[(c >> 4) as usize] as char);
            out.push(HEX[(c & 0xf) as usize] as char);
        } else {
            out.push_str(esc);
        }
        start = i;
    }
    out.push_str(&s[start..]);
}

/// Whether a word (eight bytes) holds a byte below 0x20, a `"` or a `\\`
/// (the classic "has a zero byte" test on the word and on it xored with
/// each special byte; "below 0x20" as a zero byte of the top three bits).
#[inline]
fn needs_escape(w: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    // A byte below 0x20 has its top three bits clear.
    let control = zero(w & 0xe0e0_e0e0_e0e0_e0e0);
    control | zero(w ^ (LO * b'"' as u64)) | zero(w ^ (LO * b'\\' as u64)) != 0
}

impl Alert {
    /// Field values of the output, keyed by field text (`null` when
    /// missing); transformer tokens are left out, as Falco does.
    pub fn output_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        self.fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    /// Falco's text line: `HH:MM:SS.nnnnnnnnn: Priority output`.
    pub fn line(&self) -> String {
        let clock = time::clock(self.ts);
        let priority = self.priority.as_str();
        let mut out = String::with_capacity(clock.len() + priority.len() + self.output.len() + 8);
        escape_into(&clock, &mut out);
        out.push_str(": ");
        escape_into(priority, &mut out);
        out.push(' ');
        escape_into(&self.output, &mut out);
        out
    }

    /// One JSON object: `{"evt_num","time","rule","priority","source",
    /// "tags","output","output_fields"}`, `output` being the text line.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "evt_num": self.evt_num,
            "time": time::iso8601(self.ts),
            "rule": self.rule,
            "priority": self.priority.as_str(),
            "source": self.source,
            "tags": self.tags,
            "output": format!("{}: {} {}", time::clock(self.ts), self.priority.as_str(), self.output),
            "output_fields": self.output_fields(),
        })
    }
}

/// The engine: compiled rules, their extractors and the per-event cache.
pub struct Engine {
    program: Program,
    extractors: Vec<Option<FieldExtractor>>,
    rules: Vec<Rule>,
    /// Rule indices per event code, in load order.
    by_code: Vec<Vec<u32>>,
    frame: Frame,
    matching: RuleMatching,
    notes: Vec<String>,
    time_slot: Option<SlotId>,
    matched: Vec<u32>,
    /// Condition mode: every event is evaluated.
    everything: bool,
    /// The rules' conditions compiled to jumps, specialised per event
    /// code (see [`Engine::build_runs`]).
    jumps: Vec<Jump>,
    /// Per event code: (rule, entry into `jumps`) of the rules evaluated,
    /// in load order; rules that cannot match events of the code left out.
    runs: Vec<Vec<(u32, u32)>>,
    /// Per rule: its entry without specialisation (condition mode, for
    /// codes outside the event table).
    generic: Vec<u32>,
    /// Per event code: the positions of its run list each check value
    /// rejects.
    kills: Vec<Kills>,
    /// The positions of the current run list not known to be rejected
    /// (bits, 64 a word).
    alive: Vec<u64>,
    /// The units evaluated by the last rule run ([`Frame::take_fresh`]).
    fresh: Vec<u32>,
    /// The slots' names shared by the alerts (filled as alerts need them).
    slot_names: Vec<Arc<str>>,
}

fn lhs_resolves(lhs: &Lhs, scope: &FieldScope<'_>) -> bool {
    let mut p = Program::new();
    p.lhs(lhs, scope).is_ok()
}

impl Engine {
    /// Loads every enabled rule of the `syscall` source at or above the
    /// priority threshold that compiled without error in the analysis.
    /// Rules of other sources are left out with a note (captures hold
    /// syscall events only), and so are rules using a field the engine
    /// cannot extract.
    pub fn from_analysis(host: &AnalysisHost, opts: &Options) -> Engine {
        let collected = host.collected();
        let compiled = host.compiled();
        let plugins = host.plugins();
        let scope = Scope::new("syscall", &plugins, host.config().imported.as_ref());
        let fscope = scope.field_scope();
        let mut program = Program::new();
        let mut rules = Vec::new();
        let mut sets = Vec::new();
        let mut notes = Vec::new();
        let mut other_sources = 0usize;
        let mut order: Vec<usize> = (0..collected.rules.len()).collect();
        order.sort_by_key(|&i| collected.rules[i].index);
        for i in order {
            let entry = &collected.rules[i];
            let Some(cr) = compiled.rules.get(i) else {
                continue;
            };
            if !entry.enabled || cr.skipped || !cr.ok {
                continue;
            }
            if entry.source() != "syscall" {
                other_sources += 1;
                continue;
            }
            if entry.priority > opts.min_priority {
                continue;
            }
            let expr = match rule_expr(collected, compiled, &entry.name) {
                Ok(e) => e,
                Err(e) => {
                    notes.push(format!("rule '{}' not loaded: {e}", entry.name));
                    continue;
                }
            };
            let node = match program.compile(&expr, &fscope) {
                Ok(n) => n,
                Err(e) => {
                    notes.push(format!("rule '{}' not loaded: {e}", entry.name));
                    continue;
                }
            };
            let mut text = entry.output.text.trim().replace("%container.info", "");
            if opts.suggested_output {
                for (plugin, field) in SUGGESTED_FIELDS {
                    if scope.plugins().contains(plugin) {
                        text.push_str(&format!(" {}=%{field}", field.replace('.', "_")));
                    }
                }
            }
            let output = compile_output(&mut program, &text, &fscope);
            sets.push(cr.evttypes.clone());
            rules.push(Rule {
                name: entry.name.to_string(),
                priority: entry.priority,
                source: "syscall".into(),
                tags: entry.tags.iter().map(|t| t.to_string()).collect(),
                node,
                output,
            });
        }
        if other_sources > 0 {
            notes.push(format!(
                "{other_sources} rule(s) of other sources than syscall ignored (captures hold syscall events)"
            ));
        }
        let mut by_code: Vec<Vec<u32>> = vec![Vec::new(); EVENT_CODE_UNIVERSE];
        for (ri, set) in sets.iter().enumerate() {
            for (code, list) in by_code.iter_mut().enumerate() {
                let code = code as u16;
                let hit = match set {
                    Some(s) => s.contains(code) || code == ASYNC_EVENT_CODE,
                    None => true,
                };
                if hit {
                    list.push(ri as u32);
                }
            }
        }
        let mut e = Engine::assemble(program, rules, by_code, opts.rule_matching, notes);
        e.drop_unextractable();
        e.build_runs();
        e
    }

    /// An engine for one condition (`--condition`), with the lists and
    /// macros of the analysed rules available; it "matches" every event
    /// the condition accepts, under the rule name `condition`.
    pub fn from_condition(
        host: &AnalysisHost,
        condition: &str,
        output: &str,
    ) -> Result<Engine, String> {
        let collected = host.collected();
        let compiled = host.compiled();
        let expr = expand_condition(collected, compiled, condition)?;
        let plugins = host.plugins();
        let scope = Scope::new("syscall", &plugins, host.config().imported.as_ref());
        let fscope = scope.field_scope();
        let mut program = Program::new();
        let node = program.compile(&expr, &fscope)?;
        let output = compile_output(&mut program, output, &fscope);
        let rules = vec![Rule {
            name: "condition".into(),
            priority: Priority::Debug,
            source: "syscall".into(),
            tags: Vec::new(),
            node,
            output,
        }];
        let by_code = vec![vec![0u32]; EVENT_CODE_UNIVERSE];
        let mut e = Engine::assemble(program, rules, by_code, RuleMatching::First, Vec::new());
        let unsupported = e.unsupported_in(0);
        if !unsupported.is_empty() {
            return Err(format!(
                "the condition uses fields the engine cannot extract: {}",
                unsupported.join(", ")
            ));
        }
        e.everything = true;
        e.build_runs();
        Ok(e)
    }

    fn assemble(
        program: Program,
        rules: Vec<Rule>,
        by_code: Vec<Vec<u32>>,
        matching: RuleMatching,
        notes: Vec<String>,
    ) -> Engine {
        let mut program = program;
        let time_slot = {
            let f = falconer_syntax::ast::FieldRef {
                name: "evt.time".into(),
                name_span: Default::default(),
                arg: None,
                span: Default::default(),
            };
            program.field(&f, &FieldScope::syscall(&[])).ok()
        };
        let extractors: Vec<Option<FieldExtractor>> = program
            .fields
            .iter()
            .map(|r| FieldExtractor::new(r).ok())
            .collect();
        for (i, x) in extractors.iter().enumerate() {
            if let Some(x) = x {
                let m = match x.multi() {
                    crate::extract::Multi::AnyAncestor => Multi::Any,
                    crate::extract::Multi::EitherEndpoint => Multi::Endpoints,
                    crate::extract::Multi::Single | crate::extract::Multi::List => Multi::Single,
                };
                program.set_field_multi(i, m);
            }
        }
        program.group_sets();
        let frame = Frame::new(&program);
        Engine {
            program,
            extractors,
            rules,
            by_code,
            frame,
            matching,
            notes,
            time_slot,
            matched: Vec::new(),
            everything: false,
            jumps: Vec::new(),
            runs: Vec::new(),
            generic: Vec::new(),
            kills: Vec::new(),
            alive: Vec::new(),
            fresh: Vec::new(),
            slot_names: Vec::new(),
        }
    }

    /// Compiles the rules' conditions to jumps ([`Program::emit`]), once
    /// per event code for the rules of the code's evttype index: checks
    /// whose fields depend only on the event code (`evt.type`, `evt.dir`:
    /// [`FieldExtractor::code_values`]) are decided in advance, a rule they
    /// make false for the code is left out of the code's list, and the
    /// others skip them. The checks that remain run in the condition's
    /// order with its short-circuits, so the results are those of
    /// evaluating the whole condition per event. Specialisations are shared
    /// between codes deciding a rule's checks the same way.
    fn build_runs(&mut self) {
        let p = &self.program;
        let nfields = p.fields.len();
        // Fields that depend on the code alone, for some code.
        let decidable: Vec<bool> = (0..nfields)
            .map(|f| {
                self.extractors[f].as_ref().is_some_and(|x| {
                    (0..EVENT_CODE_UNIVERSE as u16).any(|c| x.code_values(c).is_some())
                })
            })
            .collect();
        // Checks over such fields only.
        let code_checks: Vec<NodeId> = (0..p.nodes.len() as NodeId)
            .filter(|&n| {
                if !matches!(p.nodes[n as usize], NodeDef::Check(_)) {
                    return false;
                }
                let mut fields = Vec::new();
                node_fields(p, n, &mut fields);
                !fields.is_empty() && fields.iter().all(|&f| decidable[f])
            })
            .collect();
        let mut is_code_check = vec![false; p.nodes.len()];
        for &n in &code_checks {
            is_code_check[n as usize] = true;
        }
        // Per rule: the code-decided checks its condition holds.
        let rule_checks: Vec<Vec<NodeId>> = self
            .rules
            .iter()
            .map(|r| {
                let mut seen = vec![false; p.nodes.len()];
                let mut out = Vec::new();
                collect_checks(p, r.node, &is_code_check, &mut seen, &mut out);
                out
            })
            .collect();
        let mut jumps = Vec::new();
        let none = |_: NodeId| None;
        self.generic = self
            .rules
            .iter()
            .map(|r| p.emit(r.node, ACCEPT, REJECT, &none, &mut jumps))
            .collect();
        let mut scratch = Frame::new(p);
        let mut known: Vec<Option<bool>> = vec![None; p.nodes.len()];
        let mut cache: rustc_hash::FxHashMap<(u32, Vec<Option<bool>>), u32> = Default::default();
        let mut runs = Vec::with_capacity(EVENT_CODE_UNIVERSE);
        for code in 0..EVENT_CODE_UNIVERSE as u16 {
            let list: &[u32] = if self.everything {
                &[0]
            } else {
                self.by_code
                    .get(code as usize)
                    .map_or(&[], |l| l.as_slice())
            };
            let mut run = Vec::with_capacity(list.len());
            if list.is_empty() {
                runs.push(run);
                continue;
            }
            let values: Vec<Option<Vec<ParsedValue>>> = (0..nfields)
                .map(|f| {
                    if decidable[f] {
                        self.extractors[f]
                            .as_ref()
                            .and_then(|x| x.code_values(code))
                    } else {
                        None
                    }
                })
                .collect();
            scratch.next_event();
            for &n in &code_checks {
                let mut fields = Vec::new();
                node_fields(p, n, &mut fields);
                known[n as usize] = if fields.iter().all(|&f| values[f].is_some()) {
                    let mut fill = |f: usize, out: &mut Vec<ParsedValue>| {
                        out.clear();
                        if let Some(v) = &values[f] {
                            out.extend_from_slice(v);
                        }
                    };
                    Some(scratch.eval(p, n, &mut fill))
                } else {
                    None
                };
            }
            for &r in list {
                let checks = &rule_checks[r as usize];
                let key: Vec<Option<bool>> = checks.iter().map(|&n| known[n as usize]).collect();
                let entry = *cache.entry((r, key)).or_insert_with(|| {
                    let k = |n: NodeId| known[n as usize];
                    p.emit(self.rules[r as usize].node, ACCEPT, REJECT, &k, &mut jumps)
                });
                if entry != REJECT {
                    run.push((r, entry));
                }
            }
            runs.push(run);
        }
        let necessary = necessary_literals(&jumps);
        self.kills = runs
            .iter()
            .map(|run| Kills::new(run, &necessary, p))
            .collect();
        self.jumps = jumps;
        self.runs = runs;
    }

    /// Field names used by a rule's condition that have no extractor.
    fn unsupported_in(&self, rule: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut fields = Vec::new();
        node_fields(&self.program, self.rules[rule].node, &mut fields);
        for f in fields {
            if self.extractors[f].is_none() {
                let n = self.program.fields[f].field.name.to_string();
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// Drops rules whose condition needs a field without extractor.
    fn drop_unextractable(&mut self) {
        let mut keep = vec![true; self.rules.len()];
        for (i, k) in keep.iter_mut().enumerate() {
            let u = self.unsupported_in(i);
            if !u.is_empty() {
                *k = false;
                self.notes.push(format!(
                    "rule '{}' not loaded: the engine cannot extract {}",
                    self.rules[i].name,
                    u.join(", ")
                ));
            }
        }
        if keep.iter().all(|k| *k) {
            return;
        }
        let mut new_index = vec![u32::MAX; self.rules.len()];
        let mut n = 0u32;
        for (i, k) in keep.iter().enumerate() {
            if *k {
                new_index[i] = n;
                n += 1;
            }
        }
        let mut i = 0;
        self.rules.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        for list in self.by_code.iter_mut() {
            list.retain(|r| keep[*r as usize]);
            for r in list.iter_mut() {
                *r = new_index[*r as usize];
            }
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Remarks about rules left out.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Whether any loaded rule is evaluated for events of this code (the
    /// evttype index; every code in condition mode): what a live capture
    /// must deliver.
    pub fn wants_code(&self, code: u16) -> bool {
        self.everything
            || self
                .by_code
                .get(code as usize)
                .is_some_and(|l| !l.is_empty())
    }

    /// The rules evaluated for events of `code`, in load order (indices
    /// into [`Engine::rules`]): the evttype index (for the tracer of
    /// `explain.rs`).
    pub fn candidates(&self, code: u16) -> &[u32] {
        if self.everything {
            return &[0];
        }
        self.by_code
            .get(code as usize)
            .map_or(&[], |l| l.as_slice())
    }

    /// The `rule_matching` the engine was built with.
    pub fn rule_matching(&self) -> RuleMatching {
        self.matching
    }

    /// Evaluates the rules for one event whose state has been applied;
    /// returns the indices of the matching rules (at most one with
    /// `rule_matching: first`). Events flagged state-only are not
    /// evaluated (libsinsp hides them from its users).
    pub fn process(&mut self, ctx: &EventCtx<'_>) -> &[u32] {
        self.matched.clear();
        self.frame.next_event();
        let ev = ctx.event;
        if ev.is_state_only() {
            return &self.matched;
        }
        let Engine {
            program,
            extractors,
            frame,
            matching,
            matched,
            everything,
            jumps,
            runs,
            generic,
            kills,
            alive,
            fresh,
            ..
        } = self;
        let mut fill = |i: usize, out: &mut Vec<ParsedValue>| match &extractors[i] {
            Some(x) => x.extract(ctx, out),
            None => out.clear(),
        };
        let code = ev.code as usize;
        let (Some(list), Some(kills)) = (runs.get(code), kills.get(code)) else {
            if *everything && frame.run(program, jumps, generic[0], &mut fill) {
                matched.push(0);
            }
            return matched;
        };
        // The rules in load order, each run from its entry; after each,
        // the later rules that the values of the checks it evaluated
        // reject are skipped.
        alive.clear();
        alive.resize(kills.words, !0);
        let mut pos = 0;
        while pos < list.len() {
            let bits = alive[pos / 64] >> (pos % 64);
            if bits == 0 {
                pos = (pos / 64 + 1) * 64;
                continue;
            }
            pos += bits.trailing_zeros() as usize;
            let Some(&(r, entry)) = list.get(pos) else {
                break;
            };
            let accepted = frame.run(program, jumps, entry, &mut fill);
            frame.take_fresh(fresh);
            kills.apply(frame, fresh, alive);
            if accepted {
                matched.push(r);
                if *matching == RuleMatching::First {
                    break;
                }
            }
            pos += 1;
        }
        matched
    }

    /// Formats the alert of rule `rule` for the current event (after
    /// [`Engine::process`] on the same event).
    pub fn alert(&mut self, rule: u32, ctx: &EventCtx<'_>) -> Alert {
        let ev: &Event = ctx.event;
        let Engine {
            program,
            extractors,
            rules,
            frame,
            time_slot,
            slot_names,
            ..
        } = self;
        if slot_names.len() < program.slots.len() {
            let known = slot_names.len();
            slot_names.extend(
                program.slots[known..]
                    .iter()
                    .map(|s| Arc::from(s.name.as_str())),
            );
        }
        let r = &rules[rule as usize];
        let mut fill = |i: usize, out: &mut Vec<ParsedValue>| match &extractors[i] {
            Some(x) => x.extract(ctx, out),
            None => out.clear(),
        };
        let mut output = String::with_capacity(256);
        let mut fields: Vec<(Arc<str>, serde_json::Value)> =
            Vec::with_capacity(r.output.segments.len() + 1);
        let mut tmp = String::with_capacity(64);
        for seg in &r.output.segments {
            match seg {
                Segment::Text(t) => output.push_str(t),
                Segment::Token { slot, width } => {
                    tmp.clear();
                    match slot {
                        Some(s) => {
                            let slot = &program.slots[*s as usize];
                            let (is_list, pf, transformed, name, any) = (
                                slot.is_list,
                                slot.print_format,
                                slot.transformed,
                                slot_names[*s as usize].clone(),
                                slot.multi == Multi::Any,
                            );
                            let vals = frame.values(program, *s, &mut fill);
                            // A single text value: its JSON is the text
                            // just rendered (`to_json` renders it the same
                            // way).
                            let text_json = !any
                                && !is_list
                                && matches!(
                                    vals.first(),
                                    Some(
                                        ParsedValue::Str(_)
                                            | ParsedValue::Bytes(_)
                                            | ParsedValue::Ip(_)
                                            | ParsedValue::Net(..)
                                    )
                                );
                            if any && !vals.is_empty() {
                                // libsinsp prints every ancestor of an
                                // index-less ancestor field, space-separated.
                                for (k, v) in vals.iter().enumerate() {
                                    if k > 0 {
                                        tmp.push(' ');
                                    }
                                    crate::value::render(v, pf, &mut tmp);
                                }
                            } else {
                                render_values(vals, is_list, pf, &mut tmp);
                            }
                            if !transformed {
                                let j = if text_json {
                                    serde_json::Value::String(tmp.clone())
                                } else {
                                    values_to_json(vals, is_list, pf)
                                };
                                fields.push((name, j));
                            }
                        }
                        None => tmp.push_str("<NA>"),
                    }
                    match width {
                        Some(w) => {
                            // libsinsp pads or cuts to the width; we cap
                            // absurd widths instead of allocating them.
                            let w = (*w as usize).min(MAX_WIDTH);
                            let mut b: Vec<u8> = tmp.as_bytes().to_vec();
                            b.resize(w, b' ');
                            output.push_str(&String::from_utf8_lossy(&b));
                        }
                        None => output.push_str(&tmp),
                    }
                }
            }
        }
        let time_text = match time_slot {
            Some(s) => {
                let v = frame.values(program, *s, &mut fill);
                match v.first() {
                    Some(ParsedValue::Str(b)) => String::from_utf8_lossy(b).into_owned(),
                    _ => time::clock(ev.ts),
                }
            }
            None => time::clock(ev.ts),
        };
        fields.push((Arc::from("evt.time"), serde_json::Value::String(time_text)));
        Alert {
            evt_num: ev.num,
            ts: ev.ts,
            rule: r.name.clone(),
            priority: r.priority,
            source: r.source.clone(),
            tags: r.tags.clone(),
            output,
            fields,
        }
    }
}

/// Per jump of a jumps vector (see [`Program::emit`]): its *necessary
/// literals*, the (check, value) pairs that every path from it to
/// [`ACCEPT`] goes through, sorted (`None`: no path accepts). Paths that
/// cannot happen (a check with both values) count too, so the sets may
/// miss literals but never hold one that is not necessary.
fn necessary_literals(jumps: &[Jump]) -> Vec<Option<Vec<(NodeId, bool)>>> {
    let mut out: Vec<Option<Vec<(NodeId, bool)>>> = Vec::with_capacity(jumps.len());
    for j in jumps {
        // Targets come before the jump (emit appends them first); any
        // other target is taken as having none.
        let via = |target: u32, v: bool, out: &[Option<Vec<(NodeId, bool)>>]| {
            let mut set = match target {
                ACCEPT => Vec::new(),
                REJECT => return None,
                t => out.get(t as usize).cloned().unwrap_or(Some(Vec::new()))?,
            };
            if let Err(i) = set.binary_search(&(j.check, v)) {
                set.insert(i, (j.check, v));
            }
            Some(set)
        };
        let lits = match (via(j.on_true, true, &out), via(j.on_false, false, &out)) {
            (Some(a), Some(b)) => Some(
                a.into_iter()
                    .filter(|l| b.binary_search(l).is_ok())
                    .collect(),
            ),
            (a, None) => a,
            (None, b) => b,
        };
        out.push(lits);
    }
    out
}

/// No row.
const NO_ROW: u32 = u32::MAX;

/// The rules of one code's run list that check values reject: a rule
/// whose necessary literal ([`necessary_literals`]) is contradicted by a
/// check's value for the event cannot match, and is skipped when that
/// value is known (after the rule run that evaluated the check). The
/// other rules run as before, in load order, so the matches are the same.
#[derive(Clone, Debug, Default)]
struct Kills {
    /// Words of 64 positions.
    words: usize,
    /// Per unit ([`Program::unit_of`]): its range in `entries`.
    units: rustc_hash::FxHashMap<u32, (u32, u32)>,
    /// (check node, row of the positions it rejects when false, row
    /// when true); [`NO_ROW`] for none. For a set group's unit, the
    /// member's position in the group instead of the node.
    entries: Vec<(NodeId, u32, u32)>,
    /// `words` words a row.
    rows: Vec<u64>,
}

impl Kills {
    fn new(run: &[(u32, u32)], necessary: &[Option<Vec<(NodeId, bool)>>], p: &Program) -> Kills {
        let words = run.len().div_ceil(64);
        // Per check: the positions it rejects when false, when true.
        let mut by_check: std::collections::BTreeMap<(u32, NodeId), [Vec<u64>; 2]> =
            Default::default();
        for (pos, &(_, entry)) in run.iter().enumerate() {
            let Some(Some(lits)) = necessary.get(entry as usize) else {
                continue;
            };
            for &(n, v) in lits {
                let rows = by_check
                    .entry((p.unit_of(n), n))
                    .or_insert_with(|| [vec![0; words], vec![0; words]]);
                // Necessary with value `v`: the other value rejects.
                rows[!v as usize][pos / 64] |= 1 << (pos % 64);
            }
        }
        let mut k = Kills {
            words,
            ..Kills::default()
        };
        for ((unit, n), rows) in by_check {
            let [f, t] = rows.map(|row| {
                if row.iter().all(|w| *w == 0) {
                    return NO_ROW;
                }
                k.rows.extend_from_slice(&row);
                (k.rows.len() / words - 1) as u32
            });
            let at = k.entries.len() as u32;
            // A group's member by its position in the group's results.
            let n = match Program::unit_group(unit) {
                Some(_) => p.group_position(n),
                None => n,
            };
            k.entries.push((n, f, t));
            k.units.entry(unit).or_insert((at, at)).1 = at + 1;
        }
        k
    }

    /// Clears in `alive` the positions that the values of the checks of
    /// the units in `fresh` reject.
    #[inline]
    fn apply(&self, frame: &Frame, fresh: &[u32], alive: &mut [u64]) {
        for &u in fresh {
            let Some(&(a, b)) = self.units.get(&u) else {
                continue;
            };
            // A group's results (not known: no kill, as for a check).
            let group = match Program::unit_group(u) {
                Some(g) => match frame.group_results(g) {
                    Some(bits) => Some(bits),
                    None => continue,
                },
                None => None,
            };
            for &(n, f, t) in &self.entries[a as usize..b as usize] {
                let v = match group {
                    // `n` is the member's position.
                    Some(bits) => bits.get(n as usize / 64).map(|w| (w >> (n % 64)) & 1 != 0),
                    None => frame.memoized(n),
                };
                let row = match v {
                    Some(true) => t,
                    Some(false) => f,
                    None => continue,
                };
                if row != NO_ROW {
                    let at = row as usize * self.words;
                    let kill = &self.rows[at..at + self.words];
                    alive.iter_mut().zip(kill).for_each(|(a, k)| *a &= !k);
                }
            }
        }
    }
}

/// The checks of `marked` reachable from `n`, each once.
fn collect_checks(
    p: &Program,
    n: NodeId,
    marked: &[bool],
    seen: &mut [bool],
    out: &mut Vec<NodeId>,
) {
    if std::mem::replace(&mut seen[n as usize], true) {
        return;
    }
    match &p.nodes[n as usize] {
        NodeDef::And(c) | NodeDef::Or(c) => c
            .iter()
            .for_each(|&c| collect_checks(p, c, marked, seen, out)),
        NodeDef::Not(c) => collect_checks(p, *c, marked, seen, out),
        NodeDef::Check(_) => {
            if marked[n as usize] {
                out.push(n);
            }
        }
    }
}

fn node_fields(p: &Program, n: NodeId, out: &mut Vec<usize>) {
    use crate::program::{RhsKind, SlotKind};
    fn slot_fields(p: &Program, s: SlotId, out: &mut Vec<usize>) {
        match &p.slots[s as usize].kind {
            SlotKind::Field(f) => out.push(*f),
            SlotKind::Const(_) => {}
            SlotKind::List(v) | SlotKind::Concat(v) => {
                v.iter().for_each(|s| slot_fields(p, *s, out))
            }
            SlotKind::Unary { arg, .. } => slot_fields(p, *arg, out),
            SlotKind::Join { sep, list } => {
                slot_fields(p, *sep, out);
                slot_fields(p, *list, out);
            }
            SlotKind::Getopt {
                argv, optstring, ..
            } => {
                slot_fields(p, *argv, out);
                slot_fields(p, *optstring, out);
            }
        }
    }
    match &p.nodes[n as usize] {
        NodeDef::And(c) | NodeDef::Or(c) => c.iter().for_each(|c| node_fields(p, *c, out)),
        NodeDef::Not(c) => node_fields(p, *c, out),
        NodeDef::Check(c) => {
            slot_fields(p, c.lhs, out);
            if let RhsKind::Slot(r) = &c.rhs {
                slot_fields(p, *r, out);
            }
        }
    }
}

/// Compiles an output format; tokens that do not compile print `<NA>`.
fn compile_output(program: &mut Program, text: &str, scope: &FieldScope<'_>) -> Output {
    let parsed = parse_output(text, &|lhs| lhs_resolves(lhs, scope));
    let mut segments = Vec::new();
    for seg in &parsed.segments {
        match seg {
            OutputSegment::Text { span } => {
                let s = &text[span.start as usize..span.end as usize];
                segments.push(Segment::Text(s.to_string()));
            }
            OutputSegment::Token { width, expr, .. } => {
                let slot = program.lhs(expr, scope).ok();
                segments.push(Segment::Token {
                    slot,
                    width: *width,
                });
            }
        }
    }
    Output { segments }
}

/// A standalone condition with the rules' lists substituted (textually,
/// as Falco does) and their macros expanded.
pub fn expand_condition(
    collected: &Collected,
    compiled: &Compiled,
    condition: &str,
) -> Result<falconer_syntax::ast::Expr, String> {
    let mut order: Vec<usize> = (0..collected.lists.len()).collect();
    order.sort_by_key(|&i| collected.lists[i].index);
    let views: Vec<ListView<'_>> = order
        .iter()
        .filter_map(|&i| {
            compiled.list_items.get(i).map(|items| ListView {
                name: &collected.lists[i].name,
                items,
            })
        })
        .collect();
    let index = ListIndex::new(views);
    let subst = substitute(condition, &index);
    let parsed = falconer_syntax::parse_condition(&subst.text);
    if let Some(e) = parsed.errors.first() {
        return Err(format!("{} at offset {}", e.message, e.offset));
    }
    let expr = parsed.expr.ok_or("the condition is empty")?;
    expand_expr(&expr, collected, compiled, &mut Vec::new()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::falco_escape;

    /// The escapes are serde_json's, for every ASCII byte and some text
    /// beyond.
    #[test]
    fn escape_is_json_without_quotes() {
        let mut texts: Vec<String> = (0u8..128).map(|c| format!("a{}b", c as char)).collect();
        texts.push("plain text".into());
        // Specials at every position of an 8-byte word, in long texts.
        for special in ['"', '\\', '\n', '\u{1f}', '\u{0}', ' ', '\u{7f}', 'é'] {
            for at in 0..20 {
                let mut t: String = "abcdefghijklmnopqrstu".into();
                t.insert(at, special);
                texts.push(t);
            }
        }
        texts.push(String::new());
        texts.push("\"quoted\" \\ back\u{1}\u{7f} é ✓ \t\n".into());
        for t in texts {
            let j = serde_json::to_string(&t).unwrap();
            assert_eq!(falco_escape(&t), j[1..j.len() - 1], "{t:?}");
        }
    }
}

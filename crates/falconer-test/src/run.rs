//! Running cases: each case's capture replayed through the state and the
//! engine (the same path as `falconer replay`), its alerts checked
//! against the expectations, and for a failure a second pass with the
//! tracer (`falconer_engine::explain`) to say why.
//!
//! Cases run in parallel on `jobs` std threads; each thread keeps one
//! analysis, engine (and tracer, for coverage or explanations) per rules
//! setup, reused by every case with that setup (an engine carries no
//! state from one capture to the next: the per-event cache is reset per
//! event, the process state is per replay).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use falconer_analysis::AnalysisHost;
use falconer_engine::engine::Engine;
use falconer_engine::explain::{CoverageItem, CoverageKind, Hits, Trace, Tracer};
use falconer_engine::extract::EventCtx;
use falconer_scap::state::State;
use falconer_scap::ScapReader;

use crate::schema::{Expectation, FieldValue};
use crate::suite::{Case, Suite};

/// How to run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Threads (at least 1).
    pub jobs: usize,
    /// Count coverage (every candidate rule traced per event).
    pub coverage: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            coverage: false,
        }
    }
}

/// One alert of a case.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertSummary {
    pub evt_num: u64,
    pub rule: String,
    /// The formatted output (without time and priority).
    pub output: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// Why a failure happened, from the tracer.
#[derive(Clone, Debug, PartialEq)]
pub enum Explanation {
    /// The rule did not match: its trace on the event that came closest.
    Nearest { trace: Trace, process: String },
    /// The rule matched here (an unwanted alert): its trace.
    Matched { trace: Trace, process: String },
    /// The condition holds on this event, but an earlier rule matched it
    /// first (`rule_matching: first`).
    Shadowed {
        trace: Trace,
        process: String,
        by: String,
    },
    /// No event of the rule's types in the capture.
    NoEventOfTypes {
        types: Vec<String>,
        seen: Vec<String>,
    },
    /// The tracer could not follow the rule.
    Unavailable(String),
}

/// One failed expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub message: String,
    /// Lines about the alerts involved.
    pub details: Vec<String>,
    pub explanation: Option<Explanation>,
    /// The rule the failure is about.
    pub rule: Option<String>,
    /// What to explain: why the rule did not fire, or why it fired at
    /// an event.
    ask: Option<Ask>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ask {
    WhyNot,
    WhyAt(u64),
}

impl Failure {
    fn plain(message: String) -> Failure {
        Failure {
            message,
            details: Vec::new(),
            explanation: None,
            rule: None,
            ask: None,
        }
    }
}

/// The result of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// Index into [`Suite::cases`].
    pub case: usize,
    pub failures: Vec<Failure>,
    pub alerts: Vec<AlertSummary>,
    pub events: u64,
    pub duration: Duration,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Coverage of the suite: every rule, macro and exception entry of the
/// rules the cases ran with, and how often each was evaluated true and
/// false.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub items: Vec<(CoverageItem, Hits)>,
}

impl Coverage {
    /// (outcomes seen, outcomes possible): each item has two, true and
    /// false.
    pub fn outcomes(&self) -> (usize, usize) {
        let seen = self
            .items
            .iter()
            .map(|(_, h)| usize::from(h.true_count > 0) + usize::from(h.false_count > 0))
            .sum();
        (seen, self.items.len() * 2)
    }

    pub fn percent(&self) -> f64 {
        let (s, t) = self.outcomes();
        if t == 0 {
            100.0
        } else {
            s as f64 * 100.0 / t as f64
        }
    }

    /// (items, items evaluated true, items evaluated false) of a kind.
    pub fn of_kind(&self, kind: CoverageKind) -> (usize, usize, usize) {
        let it = self.items.iter().filter(|(i, _)| i.kind == kind);
        let (mut n, mut t, mut f) = (0, 0, 0);
        for (_, h) in it {
            n += 1;
            t += usize::from(h.true_count > 0);
            f += usize::from(h.false_count > 0);
        }
        (n, t, f)
    }
}

/// The results of a run, in case order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub results: Vec<CaseResult>,
    pub coverage: Option<Coverage>,
    pub duration: Duration,
    /// Problems of the run itself (a tracer that disagrees with the
    /// engine: a bug).
    pub internal: Vec<String>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.passed()).count()
    }
    pub fn passed(&self) -> usize {
        self.results.len() - self.failed()
    }
}

/// Coverage items are merged across threads by kind, name and file.
type CoverageKey = (CoverageKind, String, Option<String>);

/// The best trace so far for a "why not": ((held, total), trace, process).
type Nearest = Option<((usize, usize), Trace, String)>;

struct Slot {
    host: AnalysisHost,
    engine: Engine,
    tracer: Option<Tracer>,
}

/// Runs every case of a loaded suite (which must have no errors).
pub fn run(suite: &Suite, opts: &RunOptions) -> Report {
    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<CaseResult>> = Mutex::new(Vec::with_capacity(suite.cases.len()));
    let coverage: Mutex<BTreeMap<CoverageKey, (CoverageItem, Hits)>> = Mutex::new(BTreeMap::new());
    let internal: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let jobs = opts.jobs.max(1).min(suite.cases.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut slots: HashMap<usize, Slot> = HashMap::new();
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = suite.cases.get(i) else {
                        break;
                    };
                    let slot = slots.entry(case.config).or_insert_with(|| {
                        let host = suite.configs[case.config].host();
                        let engine =
                            Engine::from_analysis(&host, &suite.configs[case.config].options);
                        Slot {
                            host,
                            engine,
                            tracer: None,
                        }
                    });
                    if opts.coverage && slot.tracer.is_none() {
                        slot.tracer = Some(Tracer::new(&slot.host, &slot.engine));
                    }
                    let (r, problems) = run_case(i, case, slot, opts.coverage);
                    if !problems.is_empty() {
                        internal.lock().expect("not poisoned").extend(problems);
                    }
                    mine.push(r);
                }
                if opts.coverage {
                    let mut cov = coverage.lock().expect("not poisoned");
                    for slot in slots.values() {
                        if let Some(t) = &slot.tracer {
                            for (item, hits) in t.coverage() {
                                let key = (
                                    item.kind,
                                    item.name.clone(),
                                    item.at.as_ref().map(|a| a.path.clone()),
                                );
                                let e = cov.entry(key).or_insert((item.clone(), Hits::default()));
                                e.1.true_count += hits.true_count;
                                e.1.false_count += hits.false_count;
                            }
                        }
                    }
                }
                results.lock().expect("not poisoned").extend(mine);
            });
        }
    });
    let mut results = results.into_inner().expect("not poisoned");
    results.sort_by_key(|r| r.case);
    let coverage = opts.coverage.then(|| Coverage {
        items: coverage
            .into_inner()
            .expect("not poisoned")
            .into_values()
            .collect(),
    });
    Report {
        results,
        coverage,
        duration: t0.elapsed(),
        internal: internal.into_inner().expect("not poisoned"),
    }
}

fn describe_process(state: &State) -> String {
    match state.event_thread() {
        Some(t) => format!("{} pid {}", String::from_utf8_lossy(&t.comm), t.pid),
        None => "an unknown thread".into(),
    }
}

fn run_case(
    index: usize,
    case: &Case,
    slot: &mut Slot,
    coverage: bool,
) -> (CaseResult, Vec<String>) {
    let t0 = Instant::now();
    let mut problems = Vec::new();
    let mut alerts = Vec::new();
    let mut events = 0u64;
    let mut failures = Vec::new();
    match ScapReader::new(case.capture.as_slice()) {
        Err(e) => failures.push(Failure::plain(format!("the capture cannot be read: {e}"))),
        Ok(mut reader) => {
            let mut state = State::from_reader_metadata(&reader);
            let mut matched: Vec<u32> = Vec::new();
            while let Some(ev) = reader.next_event() {
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(e) => {
                        failures.push(Failure::plain(format!(
                            "the capture is corrupted after {events} events: {e}"
                        )));
                        break;
                    }
                };
                events += 1;
                state.apply(&ev);
                let ctx = EventCtx::new(&ev, &state);
                matched.clear();
                matched.extend_from_slice(slot.engine.process(&ctx));
                if coverage {
                    if let Some(t) = slot.tracer.as_mut() {
                        let ours = t.cover_event(&slot.engine, &ctx);
                        if ours != matched {
                            problems.push(format!(
                                "internal: the tracer and the engine disagree on event {} of case '{}' ({ours:?} vs {matched:?})",
                                ev.num, case.name
                            ));
                        }
                    }
                }
                for &r in &matched {
                    let a = slot.engine.alert(r, &ctx);
                    let fields = a.output_fields();
                    alerts.push(AlertSummary {
                        evt_num: a.evt_num,
                        rule: a.rule,
                        output: a.output,
                        fields,
                    });
                }
            }
        }
    }
    if failures.is_empty() {
        failures = check(case, &alerts);
        if !failures.is_empty() {
            explain(case, slot, &mut failures);
        }
    }
    (
        CaseResult {
            case: index,
            failures,
            alerts,
            events,
            duration: t0.elapsed(),
        },
        problems,
    )
}

fn field_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Why an alert does not satisfy an expectation's matchers (`None`: it
/// does).
fn mismatch(e: &Expectation, a: &AlertSummary) -> Option<String> {
    for c in &e.output_contains {
        if !a.output.contains(&c.value) {
            return Some(format!("its output does not contain '{}'", c.value));
        }
    }
    if let Some(o) = &e.output {
        if a.output != o.value {
            return Some(first_difference(&o.value, &a.output));
        }
    }
    for (f, want) in &e.fields {
        let got = a.fields.get(&f.value).and_then(field_text);
        let ok = match (want, &got) {
            (FieldValue::Missing, None) => true,
            (FieldValue::Text(w), Some(g)) => w == g,
            _ => false,
        };
        if !ok {
            let show = |v: Option<&str>| v.map_or("<NA>".to_string(), |s| format!("'{s}'"));
            let want_s = match want {
                FieldValue::Missing => None,
                FieldValue::Text(t) => Some(t.as_str()),
            };
            return Some(format!(
                "{} is {}, not {}",
                f.value,
                show(got.as_deref()),
                show(want_s)
            ));
        }
    }
    None
}

/// Where two texts first differ, with a little context.
fn first_difference(want: &str, got: &str) -> String {
    let w: Vec<char> = want.chars().collect();
    let g: Vec<char> = got.chars().collect();
    let i = w.iter().zip(&g).take_while(|(a, b)| a == b).count();
    let from = i.saturating_sub(10);
    let part = |v: &[char]| -> String {
        let s: String = v.iter().skip(from).take(30).collect();
        if s.is_empty() {
            "the end".into()
        } else {
            format!("'{s}'")
        }
    };
    format!(
        "its output differs from the expected text at character {}: expected {}, got {}",
        i + 1,
        part(&w),
        part(&g)
    )
}

fn matchers_text(e: &Expectation) -> String {
    let mut parts = Vec::new();
    for c in &e.output_contains {
        parts.push(format!("output containing '{}'", c.value));
    }
    if let Some(o) = &e.output {
        parts.push(format!("output '{}'", o.value));
    }
    for (f, v) in &e.fields {
        match v {
            FieldValue::Missing => parts.push(format!("{} without a value", f.value)),
            FieldValue::Text(t) => parts.push(format!("{} = '{t}'", f.value)),
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" with {}", parts.join(" and "))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

const MAX_LISTED: usize = 5;

/// Checks the alerts against the expectations.
pub fn check(case: &Case, alerts: &[AlertSummary]) -> Vec<Failure> {
    let mut out = Vec::new();
    for e in &case.expect {
        let of_rule: Vec<&AlertSummary> =
            alerts.iter().filter(|a| a.rule == e.rule.value).collect();
        let selected: Vec<&AlertSummary> = of_rule
            .iter()
            .copied()
            .filter(|a| mismatch(e, a).is_none())
            .collect();
        let n = selected.len() as u64;
        if e.count.accepts(n) {
            continue;
        }
        let mut details = Vec::new();
        let wanted = if e.count.max == Some(0) {
            format!(
                "expected '{}' not to fire{}",
                e.rule.value,
                matchers_text(e)
            )
        } else {
            format!(
                "expected '{}' to fire {}{}",
                e.rule.value,
                e.count.describe(),
                matchers_text(e)
            )
        };
        let message = format!(
            "{wanted}, it fired {n} time{}{}",
            plural(n as usize),
            if e.has_matchers() && of_rule.len() > selected.len() {
                format!(
                    " ({} other alert{} of the rule did not match)",
                    of_rule.len() - selected.len(),
                    plural(of_rule.len() - selected.len())
                )
            } else {
                String::new()
            }
        );
        let too_many = e.count.max.is_some_and(|m| n > m);
        let ask = if too_many {
            selected.first().map(|a| Ask::WhyAt(a.evt_num))
        } else if of_rule.is_empty() {
            Some(Ask::WhyNot)
        } else {
            None
        };
        if too_many {
            for a in selected.iter().take(MAX_LISTED) {
                details.push(format!("event #{}: {}", a.evt_num, a.output));
            }
            if selected.len() > MAX_LISTED {
                details.push(format!("... {} more", selected.len() - MAX_LISTED));
            }
        } else {
            for a in of_rule
                .iter()
                .filter(|a| mismatch(e, a).is_some())
                .take(MAX_LISTED)
            {
                details.push(format!(
                    "event #{}: {} ({})",
                    a.evt_num,
                    a.output,
                    mismatch(e, a).unwrap_or_default()
                ));
            }
        }
        out.push(Failure {
            message,
            details,
            explanation: None,
            rule: Some(e.rule.value.clone()),
            ask,
        });
    }
    if case.strict {
        let named: Vec<&str> = case.expect.iter().map(|e| e.rule.value.as_str()).collect();
        let mut others: BTreeMap<&str, Vec<&AlertSummary>> = BTreeMap::new();
        for a in alerts {
            if !named.contains(&a.rule.as_str()) {
                others.entry(a.rule.as_str()).or_default().push(a);
            }
        }
        for (rule, list) in others {
            let mut details: Vec<String> = list
                .iter()
                .take(MAX_LISTED)
                .map(|a| format!("event #{}: {}", a.evt_num, a.output))
                .collect();
            if list.len() > MAX_LISTED {
                details.push(format!("... {} more", list.len() - MAX_LISTED));
            }
            out.push(Failure {
                message: format!(
                    "strict: rule '{rule}' fired {} time{}, and the case expects no rule but those it names",
                    list.len(),
                    plural(list.len())
                ),
                details,
                explanation: None,
                rule: Some(rule.to_string()),
                ask: list.first().map(|a| Ask::WhyAt(a.evt_num)),
            });
        }
    }
    out
}

/// What a failure wants explained.
enum Want {
    /// Why this rule did not match (the nearest event).
    Not(usize),
    /// Why this rule matched this event.
    At(usize, u64),
}

/// Adds explanations to failures: a second replay with the tracer.
fn explain(case: &Case, slot: &mut Slot, failures: &mut [Failure]) {
    let mut wants: Vec<(usize, Want)> = Vec::new();
    for (fi, f) in failures.iter().enumerate() {
        let (Some(name), Some(ask)) = (&f.rule, f.ask) else {
            continue;
        };
        let Some(ri) = slot.engine.rules().iter().position(|r| &r.name == name) else {
            continue;
        };
        wants.push((
            fi,
            match ask {
                Ask::WhyNot => Want::Not(ri),
                Ask::WhyAt(n) => Want::At(ri, n),
            },
        ));
    }
    if wants.is_empty() {
        return;
    }
    let tracer = match slot.tracer.as_mut() {
        Some(t) => t,
        None => slot.tracer.insert(Tracer::new(&slot.host, &slot.engine)),
    };
    let Ok(mut reader) = ScapReader::new(case.capture.as_slice()) else {
        return;
    };
    let mut state = State::from_reader_metadata(&reader);
    // Per want: the best trace so far ((held, total), trace, process).
    let mut best: Vec<Nearest> = vec![None; wants.len()];
    let mut found: Vec<Option<Explanation>> = vec![None; wants.len()];
    let mut seen_types: Vec<String> = Vec::new();
    while let Some(Ok(ev)) = reader.next_event() {
        state.apply(&ev);
        if ev.is_state_only() {
            continue;
        }
        let ctx = EventCtx::new(&ev, &state);
        let t = ev.type_name().to_string();
        if !seen_types.contains(&t) && seen_types.len() < 24 {
            seen_types.push(t);
        }
        let candidates = slot.engine.candidates(ev.code).to_vec();
        let engine_matched = slot.engine.process(&ctx).to_vec();
        for (wi, (_, w)) in wants.iter().enumerate() {
            match w {
                Want::Not(ri) => {
                    if found[wi].is_some() || !candidates.contains(&(*ri as u32)) {
                        continue;
                    }
                    let Some(tr) = tracer.trace(*ri, &ctx) else {
                        continue;
                    };
                    if tr.matched {
                        let by = engine_matched
                            .first()
                            .map(|&r| slot.engine.rules()[r as usize].name.clone())
                            .unwrap_or_default();
                        found[wi] = Some(Explanation::Shadowed {
                            trace: tr,
                            process: describe_process(&state),
                            by,
                        });
                        continue;
                    }
                    let score = tr.score();
                    let better = match &best[wi] {
                        None => true,
                        Some((s, _, _)) => score.0 * s.1.max(1) > s.0 * score.1.max(1),
                    };
                    if better {
                        best[wi] = Some((score, tr, describe_process(&state)));
                    }
                }
                Want::At(ri, num) => {
                    if ev.num == *num && found[wi].is_none() {
                        if let Some(tr) = tracer.trace(*ri, &ctx) {
                            found[wi] = Some(Explanation::Matched {
                                trace: tr,
                                process: describe_process(&state),
                            });
                        }
                    }
                }
            }
        }
    }
    for (wi, (fi, w)) in wants.iter().enumerate() {
        let e = match (found[wi].take(), w) {
            (Some(e), _) => e,
            (None, Want::Not(ri)) => match best[wi].take() {
                Some((_, trace, process)) => Explanation::Nearest { trace, process },
                None => {
                    if tracer.tree(*ri).is_none() {
                        Explanation::Unavailable(format!(
                            "the tracer cannot follow rule '{}'",
                            tracer.rule_name(*ri)
                        ))
                    } else {
                        Explanation::NoEventOfTypes {
                            types: tracer.event_types(*ri).to_vec(),
                            seen: seen_types.clone(),
                        }
                    }
                }
            },
            (None, Want::At(..)) => {
                Explanation::Unavailable("the event could not be traced".into())
            }
        };
        failures[*fi].explanation = Some(e);
    }
}

//! Reports: human text, JSON, JUnit XML, coverage, and diagnostics of
//! test files.

use std::fmt::Write;

use falconer_engine::explain::{CoverageKind, Trace};

use crate::diag::Diagnostic;
use crate::run::{CaseResult, Coverage, Explanation, Failure, Report};
use crate::suite::Suite;

/// Diagnostics with the line they point at and a caret under the span:
///
/// ```text
/// rules/tests/x.yaml:12:15: error[unknown-rule]: unknown rule 'Foo'
///    12 |       - rule: Foo
///       |               ^^^
/// ```
pub fn render_diagnostics(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    let mut cache: Vec<(std::path::PathBuf, Option<String>)> = Vec::new();
    for d in diags {
        let _ = writeln!(out, "{d}");
        let text = match cache.iter().find(|(p, _)| *p == d.path) {
            Some((_, t)) => t.clone(),
            None => {
                let t = std::fs::read_to_string(&d.path).ok();
                cache.push((d.path.clone(), t.clone()));
                t
            }
        };
        let Some(t) = text.as_deref() else { continue };
        let count = t.lines().count();
        // A position just past the last line (an error at the end of the
        // file) is shown after the last line's text.
        let (lno, col) = if d.line as usize > count && count > 0 {
            let last = t.lines().last().unwrap_or("");
            (count as u32, last.chars().count() as u32 + 1)
        } else {
            (d.line, d.column)
        };
        if let Some(line) = t.lines().nth(lno.saturating_sub(1) as usize) {
            let width = if d.end_line == d.line && d.end_column > d.column {
                (d.end_column - d.column) as usize
            } else {
                1
            };
            let _ = writeln!(out, "{:>6} | {line}", lno);
            let pad: String = line
                .chars()
                .take(col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{:>6} | {pad}{}", "", "^".repeat(width.min(200)));
        }
    }
    out
}

/// Human output options.
#[derive(Clone, Copy, Debug, Default)]
pub struct HumanOptions {
    /// Print durations (off in snapshot tests).
    pub timings: bool,
}

fn ms(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A failure as text, each line starting with `indent`.
pub fn render_failure(f: &Failure, indent: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{indent}{}", f.message);
    for d in &f.details {
        let _ = writeln!(out, "{indent}  {d}");
    }
    if let Some(e) = &f.explanation {
        out.push_str(&render_explanation(e, indent));
    }
    out
}

fn because(trace: &Trace, indent: &str, out: &mut String) {
    let reasons = trace.because();
    if reasons.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}because:");
    for r in reasons {
        let at =
            r.at.as_ref()
                .map(|a| format!("  ({a})"))
                .unwrap_or_default();
        let _ = writeln!(out, "{indent}  {r}{at}");
    }
}

/// An explanation as text.
pub fn render_explanation(e: &Explanation, indent: &str) -> String {
    let mut out = String::new();
    let deeper = format!("{indent}  ");
    match e {
        Explanation::Nearest { trace, process } => {
            let (held, total) = trace.score();
            let _ = writeln!(
                out,
                "{indent}the rule matched no event; the nearest is event #{} ({} by {process}), where {held} of {total} conditions hold:",
                trace.evt_num, trace.evt_type
            );
            out.push_str(&trace.render(&deeper));
            because(trace, indent, &mut out);
        }
        Explanation::Matched { trace, process } => {
            let _ = writeln!(
                out,
                "{indent}why it matched event #{} ({} by {process}):",
                trace.evt_num, trace.evt_type
            );
            out.push_str(&trace.render(&deeper));
            because(trace, indent, &mut out);
        }
        Explanation::Shadowed { trace, process, by } => {
            let _ = writeln!(
                out,
                "{indent}the condition holds on event #{} ({} by {process}), but rule '{by}' matched it first (rule_matching: first stops at the first matching rule; use rule_matching: all to see both)",
                trace.evt_num, trace.evt_type
            );
            out.push_str(&trace.render(&deeper));
        }
        Explanation::NoEventOfTypes { types, seen } => {
            let _ = writeln!(
                out,
                "{indent}the capture has no event of the rule's types ({}); it has: {}",
                types.join(", "),
                if seen.is_empty() {
                    "no events".to_string()
                } else {
                    seen.join(", ")
                }
            );
        }
        Explanation::Unavailable(why) => {
            let _ = writeln!(out, "{indent}(no explanation: {why})");
        }
    }
    out
}

/// The human report: per test file, one line per case, and under a
/// failed case what failed and why; then the summary (and coverage).
pub fn human(suite: &Suite, report: &Report, opts: HumanOptions) -> String {
    let mut out = String::new();
    let mut last_file = usize::MAX;
    for r in &report.results {
        let case = &suite.cases[r.case];
        if case.file != last_file {
            last_file = case.file;
            let _ = writeln!(out, "{}", suite.files[case.file].path.display());
        }
        let mark = if r.passed() { "✓" } else { "✗" };
        let time = if opts.timings {
            format!(" ({})", ms(r.duration))
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {mark} {}{time}", case.name);
        for f in &r.failures {
            out.push_str(&render_failure(f, "      "));
        }
    }
    for p in &report.internal {
        let _ = writeln!(out, "{p}");
    }
    if let Some(c) = &report.coverage {
        out.push_str(&coverage_text(c));
    }
    let time = if opts.timings {
        format!(" in {}", ms(report.duration))
    } else {
        String::new()
    };
    let _ = writeln!(out, "\n{} cases{time}", report.results.len());
    let _ = writeln!(
        out,
        "tests: {} passed, {} failed",
        report.passed(),
        report.failed()
    );
    out
}

/// The coverage section of the human report.
pub fn coverage_text(c: &Coverage) -> String {
    let mut out = String::new();
    let (seen, total) = c.outcomes();
    let _ = writeln!(
        out,
        "\ncoverage: {:.1}% ({seen} of {total} outcomes: each rule, macro and exception entry evaluated true and false)",
        c.percent()
    );
    for (kind, label) in [
        (CoverageKind::Rule, "rules"),
        (CoverageKind::Macro, "macros"),
        (CoverageKind::ExceptionEntry, "exception entries"),
    ] {
        let (n, t, f) = c.of_kind(kind);
        if n > 0 {
            let _ = writeln!(
                out,
                "  {label:<18} {n:>4}: {t} evaluated true, {f} evaluated false"
            );
        }
    }
    let missing: Vec<String> = c
        .items
        .iter()
        .filter(|(_, h)| h.true_count == 0 || h.false_count == 0)
        .map(|(i, h)| {
            let never = match (h.true_count > 0, h.false_count > 0) {
                (false, false) => "never evaluated",
                (false, true) => "never true",
                _ => "never false",
            };
            let detail = i
                .detail
                .as_ref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default();
            let at =
                i.at.as_ref()
                    .map(|a| format!("  ({a})"))
                    .unwrap_or_default();
            format!("    {} {}{detail}: {never}{at}", i.kind.as_str(), i.name)
        })
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(out, "  not fully covered:");
        for m in missing {
            let _ = writeln!(out, "{m}");
        }
    }
    out
}

fn failure_json(f: &Failure) -> serde_json::Value {
    serde_json::json!({
        "message": f.message,
        "rule": f.rule,
        "details": f.details,
        "explanation": f.explanation.as_ref().map(|e| render_explanation(e, "")),
    })
}

fn case_json(suite: &Suite, r: &CaseResult) -> serde_json::Value {
    let case = &suite.cases[r.case];
    serde_json::json!({
        "file": suite.files[case.file].path.display().to_string(),
        "name": case.name,
        "line": case.line,
        "fixture": case.fixture,
        "status": if r.passed() { "pass" } else { "fail" },
        "time_ms": r.duration.as_secs_f64() * 1000.0,
        "events": r.events,
        "alerts": r.alerts.iter().map(|a| serde_json::json!({
            "evt_num": a.evt_num,
            "rule": a.rule,
            "output": a.output,
            "output_fields": a.fields,
        })).collect::<Vec<_>>(),
        "failures": r.failures.iter().map(failure_json).collect::<Vec<_>>(),
    })
}

/// Coverage as JSON.
pub fn coverage_json(c: &Coverage) -> serde_json::Value {
    let (seen, total) = c.outcomes();
    serde_json::json!({
        "percent": (c.percent() * 10.0).round() / 10.0,
        "outcomes_seen": seen,
        "outcomes_total": total,
        "items": c.items.iter().map(|(i, h)| serde_json::json!({
            "kind": i.kind.as_str(),
            "name": i.name,
            "detail": i.detail,
            "file": i.at.as_ref().map(|a| a.path.clone()),
            "line": i.at.as_ref().map(|a| a.line),
            "column": i.at.as_ref().map(|a| a.column),
            "true": h.true_count,
            "false": h.false_count,
        })).collect::<Vec<_>>(),
    })
}

/// The JSON report (`--format json`), version 1.
pub fn json(suite: &Suite, report: &Report) -> serde_json::Value {
    serde_json::json!({
        "version": 1,
        "summary": {
            "cases": report.results.len(),
            "passed": report.passed(),
            "failed": report.failed(),
            "time_ms": report.duration.as_secs_f64() * 1000.0,
        },
        "cases": report.results.iter().map(|r| case_json(suite, r)).collect::<Vec<_>>(),
        "coverage": report.coverage.as_ref().map(coverage_json),
        "internal_errors": report.internal,
    })
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // XML 1.0 allows tab, newline and carriage return only among
            // the control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => o.push('\u{fffd}'),
            '\u{fffe}' | '\u{ffff}' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// A token (no leading, trailing or repeated blanks): JUnit schemas
/// type names as `xs:token`.
fn token(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// JUnit XML: one `<testsuite>` per test file, one `<testcase>` per case,
/// a `<failure>` with the explanation for each failed case. Valid against
/// both common JUnit schemas (Jenkins' `junit-4.xsd` and the Apache Ant
/// `JUnit.xsd`).
pub fn junit(suite: &Suite, report: &Report, timestamp: &str, hostname: &str) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (fi, f) in suite.files.iter().enumerate() {
        let results: Vec<&CaseResult> = report
            .results
            .iter()
            .filter(|r| suite.cases[r.case].file == fi)
            .collect();
        if results.is_empty() {
            continue;
        }
        let failures = results.iter().filter(|r| !r.passed()).count();
        let time: f64 = results.iter().map(|r| r.duration.as_secs_f64()).sum();
        let path = f.path.display().to_string();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" package=\"falconer\" id=\"{fi}\" timestamp=\"{}\" hostname=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.6}\">",
            xml_escape(&token(&path)),
            xml_escape(timestamp),
            xml_escape(&token(hostname)),
            results.len()
        );
        let _ = writeln!(
            out,
            "    <properties>\n      <property name=\"file\" value=\"{}\"/>\n    </properties>",
            xml_escape(&path)
        );
        for r in results {
            let case = &suite.cases[r.case];
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.6}\"",
                xml_escape(&token(&case.name)),
                xml_escape(&token(&path)),
                r.duration.as_secs_f64()
            );
            if r.passed() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            let mut text = String::new();
            for fl in &r.failures {
                text.push_str(&render_failure(fl, ""));
            }
            let message = r.failures.first().map_or("", |f| f.message.as_str());
            let _ = writeln!(
                out,
                "      <failure type=\"expectation\" message=\"{}\">{}</failure>",
                xml_escape(message),
                xml_escape(&format!("{}:{}: {}\n{text}", path, case.line, case.name))
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("    <system-out/>\n    <system-err/>\n  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

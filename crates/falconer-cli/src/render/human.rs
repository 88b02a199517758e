//! `--format human`: ariadne reports with 1-based positions; colour only
//! on a terminal, and never with NO_COLOR.

use super::{locate, SourceView, Summary};
use ariadne::{Config, IndexType, Label, Report, ReportKind};
use falconer_analysis::{Diagnostic, Severity};
use falconer_text::Encoding;

pub fn render(diags: &[Diagnostic], files: &[SourceView], summary: Summary, color: bool) -> String {
    let mut out: Vec<u8> = Vec::new();
    if diags.is_empty() {
        return summary_line(summary);
    }
    let mut cache = ariadne::sources(files.iter().map(|f| (f.path.clone(), f.text.clone())));
    for d in diags {
        let l = locate(d, files, Encoding::Chars);
        let kind = match d.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
            Severity::Info => ReportKind::Advice,
            Severity::Hint => ReportKind::Custom("hint", ariadne::Color::Cyan),
        };
        let span = d.loc.span;
        let file = &files[(d.loc.file as usize).min(files.len() - 1)];
        let range = clamp(span.start as usize, span.end as usize, &file.text);
        let code = match d.falco_code() {
            Some(f) => format!("{} ({f})", d.code),
            None => d.code.to_string(),
        };
        let mut report = Report::build(kind, (file.path.clone(), range.clone()))
            .with_config(
                Config::default()
                    .with_index_type(IndexType::Byte)
                    .with_color(color),
            )
            .with_code(code)
            .with_message(&d.message)
            .with_label(
                Label::new((file.path.clone(), range)).with_message(
                    d.suggestion
                        .as_ref()
                        .map(|s| s.message.clone())
                        .unwrap_or_else(|| format!("line {}, column {}", l.line, l.column)),
                ),
            );
        for r in &d.related {
            let rf = &files[(r.loc.file as usize).min(files.len() - 1)];
            let rr = clamp(r.loc.span.start as usize, r.loc.span.end as usize, &rf.text);
            report = report.with_label(Label::new((rf.path.clone(), rr)).with_message(&r.message));
        }
        report = report.with_note(format!("see `falconer explain {}`", d.code));
        let _ = report.finish().write(&mut cache, &mut out);
    }
    let mut s = String::from_utf8_lossy(&out).into_owned();
    if !color {
        // Custom report kinds carry their own colour: remove every escape.
        s = strip_ansi(&s);
    }
    s.push_str(&summary_line(summary));
    s
}

fn summary_line(summary: Summary) -> String {
    format!(
        "{} file{} checked: {} error{}, {} warning{}\n",
        summary.files,
        plural(summary.files),
        summary.errors,
        plural(summary.errors),
        summary.warnings,
        plural(summary.warnings)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn clamp(a: usize, b: usize, text: &str) -> std::ops::Range<usize> {
    let a = falconer_text::floor_char_boundary(text, a);
    let b = falconer_text::floor_char_boundary(text, b.max(a));
    a..b
}

/// Removes ANSI SGR sequences (`ESC [ ... m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

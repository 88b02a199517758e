//! Inlay hints.
//!
//! * After a list reference (a word of a condition that list substitution
//!   replaces, outside quoted strings, or another list's entry naming a
//!   list): the number of items it expands to, lists inside lists
//!   expanded (`: 12 items`).
//! * At the end of a rule's condition (in the item that defines the rule):
//!   the event types the compiled rule applies to, exceptions and appends
//!   included; abbreviated past three names (`execve, execveat (+3)`), or
//!   a warning when it matches every event type (or none). Only rules
//!   that compile have a set; syscall rules only.

use super::locate::{self, ItemKind};
use super::occurrences::quoted_ranges;
use super::Analysis;
use crate::lists::words;
use crate::model::ItemDef;
use crate::FileId;
use falconer_text::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InlayKind {
    ListSize,
    EventTypes,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InlayHint {
    /// Where the hint is shown (after this byte offset).
    pub offset: u32,
    pub label: String,
    pub kind: InlayKind,
    /// Markdown shown on hover.
    pub tooltip: Option<String>,
}

/// Names shown before the rest is abbreviated to `(+N)`.
const MAX_NAMES: usize = 3;

/// The label of an event-type set: names, abbreviated.
pub(crate) fn event_types_label(names: &[&str], all: bool) -> String {
    if all {
        return "⚠ every event type".to_string();
    }
    if names.is_empty() {
        return "⚠ no event type".to_string();
    }
    if names.len() <= MAX_NAMES {
        return names.join(", ");
    }
    let shown = MAX_NAMES - 1;
    format!("{} (+{})", names[..shown].join(", "), names.len() - shown)
}

fn items_label(n: usize) -> String {
    format!(": {n} item{}", if n == 1 { "" } else { "s" })
}

/// The hints of `file` inside `range` (all when `None`), by offset.
pub fn inlay_hints(a: &Analysis, file: FileId, range: Option<Span>) -> Vec<InlayHint> {
    let Some(yaml) = a.yaml(file) else {
        return Vec::new();
    };
    let c = a.collected();
    let compiled = a.compiled();
    let in_range = |o: u32| range.is_none_or(|r| r.start <= o && o <= r.end);
    let size = |name: &str| -> Option<usize> {
        let i = *c.list_by_name.get(name)?;
        Some(compiled.list_items.get(i)?.len())
    };
    let mut out = Vec::new();
    let list_hint = |offset: u32, name: &str, out: &mut Vec<InlayHint>| {
        if !in_range(offset) {
            return;
        }
        if let Some(n) = size(name) {
            out.push(InlayHint {
                offset,
                label: items_label(n),
                kind: InlayKind::ListSize,
                tooltip: Some(format!(
                    "list `{name}` expands to {n} item{}",
                    if n == 1 { "" } else { "s" }
                )),
            });
        }
    };
    for item in locate::top_items(yaml) {
        if range.is_some_and(|r| item.node.span.end < r.start || item.node.span.start > r.end) {
            continue;
        }
        match item.kind {
            ItemKind::Macro | ItemKind::Rule => {
                let Some(s) = item.node.get("condition").and_then(|e| e.value.as_scalar()) else {
                    continue;
                };
                let quoted = quoted_ranges(&s.value);
                for (st, end) in words(s.value.as_bytes()) {
                    let w = Span::new(st as u32, end as u32);
                    if quoted.iter().any(|q| q.start <= w.start && w.end <= q.end) {
                        continue;
                    }
                    let word = &s.value[w.range()];
                    list_hint(s.source_span(w).end, word, &mut out);
                }
            }
            ItemKind::List => {
                if let Some(items) = item.node.get("items").and_then(|e| e.value.as_sequence()) {
                    for n in items {
                        if let Some(v) = n.as_str() {
                            let end = n.as_scalar().map_or(n.span.end, |s| {
                                s.source_span(Span::new(0, v.len() as u32)).end
                            });
                            list_hint(end, v, &mut out);
                        }
                    }
                }
            }
            ItemKind::Other => {}
        }
    }
    // Event types, at the end of the defining item's condition.
    if a.is_loaded(file) {
        if let Some(items) = a.file_items(file) {
            for (i, r) in c.rules.iter().enumerate() {
                if r.def.file != file {
                    continue;
                }
                let Some(cr) = compiled.rules.get(i) else {
                    continue;
                };
                let Some(set) = &cr.evttypes else { continue };
                let Some(ItemDef::Rule(rule)) =
                    items.items.get(r.def.index as usize).map(|it| &it.def)
                else {
                    continue;
                };
                let Some(cond) = &rule.condition else {
                    continue;
                };
                let offset = cond.span.end;
                if !in_range(offset) {
                    continue;
                }
                let names = set.names();
                let label = event_types_label(&names, set.is_all());
                let tooltip = if set.is_all() {
                    format!(
                        "Rule `{}` applies to every event type: nothing in its condition restricts `evt.type`, which is slow.",
                        r.name
                    )
                } else if names.is_empty() {
                    format!(
                        "Rule `{}` applies to no event type: it can never match.",
                        r.name
                    )
                } else {
                    format!(
                        "Rule `{}` applies to {} event type{}: {}",
                        r.name,
                        names.len(),
                        if names.len() == 1 { "" } else { "s" },
                        names.join(", ")
                    )
                };
                out.push(InlayHint {
                    offset,
                    label,
                    kind: InlayKind::EventTypes,
                    tooltip: Some(tooltip),
                });
            }
        }
    }
    out.sort_by_key(|h| h.offset);
    out
}

#[cfg(test)]
mod tests {
    use super::event_types_label;

    #[test]
    fn labels_abbreviate_long_sets() {
        assert_eq!(event_types_label(&["open"], false), "open");
        assert_eq!(
            event_types_label(&["execve", "execveat", "open"], false),
            "execve, execveat, open"
        );
        assert_eq!(
            event_types_label(&["a", "b", "c", "d", "e"], false),
            "a, b (+3)"
        );
        assert_eq!(event_types_label(&[], true), "⚠ every event type");
        assert_eq!(event_types_label(&[], false), "⚠ no event type");
    }
}

//! Go to definition and find references for macros, lists and rules.
//!
//! A name's definitions are every item that defined, appended to or
//! overrode it, in load order, across files (the collector's `defs`); a
//! name only defined in a workspace file outside the load order leads
//! there. References are found the way Falco resolves names: macros are
//! identifiers in operand position of a parsed condition; lists are the
//! delimited words that list substitution replaces (in conditions) and
//! the entries of other lists that name them.

use super::locate::{self, ItemKind, Spot};
use super::occurrences::occurrences;
use super::{Analysis, FilePosition, NavTarget, SymbolKind};
use crate::collect::ItemRef;
use crate::model::{Item, ItemDef};
use crate::FileId;
use falconer_syntax::visit::{node_at, Node};
use falconer_text::Span;

/// A name the cursor can be on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    List(String),
    Macro(String),
    Rule(String),
}

impl Target {
    pub fn name(&self) -> &str {
        match self {
            Target::List(n) | Target::Macro(n) | Target::Rule(n) => n,
        }
    }
}

/// The macro, list or rule name at `pos`, with its file span.
pub(crate) fn target_at(a: &Analysis, pos: FilePosition) -> Option<(Target, Span)> {
    let yaml = a.yaml(pos.file)?;
    let text = a.file_text(pos.file);
    let (item, spot) = locate::locate(yaml, text, pos.offset)?;
    let c = a.collected();
    match spot {
        Spot::Name(node) => {
            let name = node.as_str()?.to_string();
            let t = match item.kind {
                ItemKind::List => Target::List(name),
                ItemKind::Macro => Target::Macro(name),
                ItemKind::Rule => Target::Rule(name),
                ItemKind::Other => return None,
            };
            Some((t, node.span))
        }
        Spot::Condition(v) => {
            let value = v.value();
            if let Some(w) = locate::list_word_at(value, v.offset) {
                let word = &value[w.range()];
                if c.list_by_name.get(word).is_some() {
                    return Some((Target::List(word.to_string()), v.file_span(w)));
                }
            }
            let parsed = a.parse_written(value);
            let visit = node_at(parsed.expr.as_ref()?, v.offset)?;
            match visit.node {
                Node::Macro(n) => Some((Target::Macro(n.text.clone()), v.file_span(n.span))),
                Node::ListName(n) => Some((Target::List(n.text.clone()), v.file_span(n.span))),
                _ => None,
            }
        }
        Spot::ListItem(v) => {
            let value = v.value();
            (!v.past_end && c.list_by_name.get(value).is_some()).then(|| {
                (
                    Target::List(value.to_string()),
                    v.file_span(Span::new(0, value.len() as u32)),
                )
            })
        }
        Spot::ExceptionValue(n) => {
            let value = n.as_str()?;
            c.list_by_name.get(value).map(|_| {
                let span = n
                    .as_scalar()
                    .map_or(n.span, |s| s.source_span(Span::new(0, value.len() as u32)));
                (Target::List(value.to_string()), span)
            })
        }
        Spot::Output(_) | Spot::Other => None,
    }
}

fn item_name_kind(item: &Item) -> Option<(SymbolKind, &str)> {
    Some(match &item.def {
        ItemDef::List(l) => (SymbolKind::List, l.name.value.as_str()),
        ItemDef::Macro(m) => (SymbolKind::Macro, m.name.value.as_str()),
        ItemDef::Rule(r) => (SymbolKind::Rule, r.name.value.as_str()),
        _ => return None,
    })
}

fn nav_target(file: FileId, item: &Item) -> Option<NavTarget> {
    let (kind, name) = item_name_kind(item)?;
    let focus = item.name()?.span;
    Some(NavTarget {
        file,
        kind,
        name: name.to_string(),
        full_span: item.span.cover(focus),
        focus_span: focus,
    })
}

fn nav_ref(a: &Analysis, r: ItemRef) -> Option<NavTarget> {
    let items = a.file_items(r.file)?;
    nav_target(r.file, items.items.get(r.index as usize)?)
}

fn kind_of(t: &Target) -> SymbolKind {
    match t {
        Target::List(_) => SymbolKind::List,
        Target::Macro(_) => SymbolKind::Macro,
        Target::Rule(_) => SymbolKind::Rule,
    }
}

/// Every item of every file (loaded, then extra) that defines, appends
/// to or overrides the target's name.
fn declarations(a: &Analysis, t: &Target) -> Vec<NavTarget> {
    let kind = kind_of(t);
    let mut out = Vec::new();
    for file in 0..a.file_count() as FileId {
        let Some(items) = a.file_items(file) else {
            continue;
        };
        for item in &items.items {
            if item_name_kind(item) == Some((kind, t.name())) {
                out.extend(nav_target(file, item));
            }
        }
    }
    out
}

/// The definitions of the name at `pos`: every item that defines, appends
/// to or overrides it, in load order. A name defined only outside the load
/// order leads to those definitions.
pub fn definitions(a: &Analysis, pos: FilePosition) -> Vec<NavTarget> {
    let Some((t, _)) = target_at(a, pos) else {
        return Vec::new();
    };
    let c = a.collected();
    let defs: Option<&[ItemRef]> = match &t {
        Target::List(n) => c.list_by_name.get(n).map(|&i| &c.lists[i].defs[..]),
        Target::Macro(n) => c.macro_by_name.get(n).map(|&i| &c.macros[i].defs[..]),
        Target::Rule(n) => c.rule_by_name.get(n).map(|&i| &c.rules[i].defs[..]),
    };
    match defs {
        Some(defs) => defs.iter().filter_map(|r| nav_ref(a, *r)).collect(),
        None => declarations(a, &t),
    }
}

/// A reference to a name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub file: FileId,
    pub span: Span,
    /// The name of a defining, appending or overriding item.
    pub is_declaration: bool,
}

/// Every use of the name at `pos` in every workspace file, plus (with
/// `include_declaration`) the names of the items that define it. Sorted
/// by file and position.
pub fn references(a: &Analysis, pos: FilePosition, include_declaration: bool) -> Vec<Reference> {
    let Some((t, _)) = target_at(a, pos) else {
        return Vec::new();
    };
    let mut out: Vec<Reference> = occurrences(a, &t, 0..a.file_count() as FileId)
        .into_iter()
        .filter(|o| include_declaration || !o.decl)
        .map(|o| Reference {
            file: o.file,
            span: o.span,
            is_declaration: o.decl,
        })
        .collect();
    out.sort();
    out.dedup_by(|x, y| x.file == y.file && x.span == y.span);
    out
}

/// The span of the macro, list or rule name at `pos` (what a definition
/// request starts from).
pub fn reference_span(a: &Analysis, pos: FilePosition) -> Option<Span> {
    target_at(a, pos).map(|(_, span)| span)
}

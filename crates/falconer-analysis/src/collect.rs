//! The collector: items of all files in load order combined into the
//! final lists, macros and rules (LANGUAGE.md C.10, C.11), with Falco's
//! sequence numbers (index = first definition, visibility = latest
//! definition or append).

use crate::checks::read::FileItems;
use crate::diagnostic::{Diagnostic, FileId, Loc};
use crate::model::*;
use crate::source::Composite;
use falconer_text::Span;
use rustc_hash::FxHashMap;

/// Where an item came from: file and position in that file's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemRef {
    pub file: FileId,
    pub index: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListEntry {
    pub name: Str,
    /// The name in the defining item.
    pub name_loc: Loc,
    pub index: u32,
    pub visibility: u32,
    /// Raw items with the item that gave each.
    pub items: Vec<(Text, ItemRef)>,
    /// Every item that defined, appended or replaced it, in order.
    pub defs: Vec<ItemRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MacroEntry {
    pub name: Str,
    /// The name in the defining item.
    pub name_loc: Loc,
    pub index: u32,
    pub visibility: u32,
    pub condition: Composite,
    pub defs: Vec<ItemRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExceptionEntry {
    pub ex: Exception,
    pub item: ItemRef,
    /// Values appended by later items.
    pub more_values: Vec<(ExValue, ItemRef)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleEntry {
    pub name: Str,
    /// The name in the full definition in force.
    pub name_loc: Loc,
    pub index: u32,
    /// The full definition currently in force.
    pub def: ItemRef,
    pub defs: Vec<ItemRef>,
    pub condition: Composite,
    pub output: Composite,
    pub desc: Composite,
    pub priority: Priority,
    /// `None` = default `syscall`.
    pub source: Option<Str>,
    pub enabled: bool,
    pub tags: Vec<Str>,
    pub exceptions: Vec<ExceptionEntry>,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub capture: bool,
    pub capture_duration: u32,
}

impl RuleEntry {
    pub fn source(&self) -> &str {
        self.source.as_deref().unwrap_or("syscall")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Collected {
    pub lists: Vec<ListEntry>,
    pub macros: Vec<MacroEntry>,
    pub rules: Vec<RuleEntry>,
    pub list_by_name: HashMapEq<usize>,
    pub macro_by_name: HashMapEq<usize>,
    pub rule_by_name: HashMapEq<usize>,
    /// Plugins named by `required_plugin_versions` (every alternative).
    pub required_plugins: Vec<Str>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A name → index map that is `Eq`/`Hash` (sorted on demand).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HashMapEq<V>(pub FxHashMap<Str, V>);

impl<V: std::hash::Hash + Ord + Clone> std::hash::Hash for HashMapEq<V> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut v: Vec<_> = self.0.iter().collect();
        v.sort();
        v.hash(state)
    }
}

impl<V> HashMapEq<V> {
    pub fn get(&self, k: &str) -> Option<&V> {
        self.0.get(k)
    }
}

/// Combines the items of all files (in load order).
pub fn collect(files: &[&FileItems]) -> Collected {
    let chunks: Vec<Vec<(u32, &FileItems)>> = files.iter().map(|f| vec![(0, *f)]).collect();
    let refs: Vec<&[(u32, &FileItems)]> = chunks.iter().map(Vec::as_slice).collect();
    collect_chunks(&refs)
}

/// [`collect`] over files read in chunks: each chunk's items have
/// positions relative to the chunk, which starts at the given offset.
pub fn collect_chunks(files: &[&[(u32, &FileItems)]]) -> Collected {
    let mut c = Collected::default();
    // Room for every item up front: the maps are built at every edit.
    let (mut lists, mut macros, mut rules) = (0, 0, 0);
    for (_, chunk) in files.iter().flat_map(|f| f.iter()) {
        for item in &chunk.items {
            match &item.def {
                ItemDef::List(_) => lists += 1,
                ItemDef::Macro(_) => macros += 1,
                ItemDef::Rule(_) => rules += 1,
                _ => {}
            }
        }
    }
    c.lists.reserve(lists);
    c.macros.reserve(macros);
    c.rules.reserve(rules);
    c.list_by_name.0.reserve(lists);
    c.macro_by_name.0.reserve(macros);
    c.rule_by_name.0.reserve(rules);
    let mut seq: u32 = 0;
    for (fi, f) in files.iter().enumerate() {
        let file = fi as FileId;
        // Names defined (fully) in this file, for the redefined-item lint.
        let mut defined_here: FxHashMap<(&'static str, &str), ItemRef> = FxHashMap::default();
        defined_here.reserve(f.iter().map(|(_, chunk)| chunk.items.len()).sum());
        let items = f
            .iter()
            .flat_map(|(off, chunk)| chunk.items.iter().map(move |i| (*off, i)));
        for (ii, (off, item)) in items.enumerate() {
            let iref = ItemRef {
                file,
                index: ii as u32,
            };
            seq += 1;
            let loc = |span: Span| Loc {
                file,
                span: span.shift(off),
            };
            match &item.def {
                ItemDef::EngineVersion(_) => {}
                ItemDef::PluginVersions(reqs) => {
                    for r in reqs {
                        c.required_plugins.push(r.name.value.clone());
                        for (n, _) in &r.alternatives {
                            c.required_plugins.push(n.value.clone());
                        }
                    }
                }
                ItemDef::List(l) => {
                    let name = l.name.value.clone();
                    let existing = c.list_by_name.get(&name).copied();
                    match (l.mode, existing) {
                        (Mode::Append, None) => c.diagnostics.push(Diagnostic::new(
                            "undefined-item",
                            loc(l.name.span),
                            "List uses 'append' or 'override.items: append' but no list by that name already exists",
                        )),
                        (Mode::Append, Some(i)) => {
                            let e = &mut c.lists[i];
                            e.items.extend(l.items.iter().map(|t| (shifted(t, off), iref)));
                            e.visibility = seq;
                            e.defs.push(iref);
                        }
                        (_, Some(i)) => {
                            redefined(&mut c.diagnostics, &mut defined_here, "list", &l.name.value, l.mode, iref, loc(l.name.span));
                            let e = &mut c.lists[i];
                            e.items = l.items.iter().map(|t| (shifted(t, off), iref)).collect();
                            e.visibility = seq;
                            e.defs.push(iref);
                        }
                        (_, None) => {
                            defined_here.insert(("list", &l.name.value), iref);
                            c.list_by_name.0.insert(name.clone(), c.lists.len());
                            c.lists.push(ListEntry {
                                name,
                                name_loc: loc(l.name.span),
                                index: seq,
                                visibility: seq,
                                items: l.items.iter().map(|t| (shifted(t, off), iref)).collect(),
                                defs: vec![iref],
                            });
                        }
                    }
                }
                ItemDef::Macro(m) => {
                    let name = m.name.value.clone();
                    let existing = c.macro_by_name.get(&name).copied();
                    match (m.mode, existing) {
                        (Mode::Append, None) => c.diagnostics.push(Diagnostic::new(
                            "undefined-item",
                            loc(m.name.span),
                            "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
                        )),
                        (Mode::Append, Some(i)) => {
                            let e = &mut c.macros[i];
                            let glue = loc(m.condition.span);
                            e.condition.push_glue(" ", glue);
                            e.condition.push_shifted(file, &m.condition, off);
                            e.visibility = seq;
                            e.defs.push(iref);
                        }
                        (_, Some(i)) => {
                            redefined(&mut c.diagnostics, &mut defined_here, "macro", &m.name.value, m.mode, iref, loc(m.name.span));
                            let e = &mut c.macros[i];
                            e.condition = Composite::from_shifted(file, &m.condition, off);
                            e.visibility = seq;
                            e.defs.push(iref);
                        }
                        (_, None) => {
                            defined_here.insert(("macro", &m.name.value), iref);
                            c.macro_by_name.0.insert(name.clone(), c.macros.len());
                            c.macros.push(MacroEntry {
                                name,
                                name_loc: loc(m.name.span),
                                index: seq,
                                visibility: seq,
                                condition: Composite::from_shifted(file, &m.condition, off),
                                defs: vec![iref],
                            });
                        }
                    }
                }
                ItemDef::Rule(r) => {
                    collect_rule(&mut c, &mut defined_here, r, iref, seq, off);
                }
            }
        }
    }
    c
}

fn redefined<'a>(
    diags: &mut Vec<Diagnostic>,
    defined_here: &mut FxHashMap<(&'static str, &'a str), ItemRef>,
    kind: &'static str,
    name: &'a str,
    mode: Mode,
    iref: ItemRef,
    loc: Loc,
) {
    if mode != Mode::Define {
        return;
    }
    if defined_here.contains_key(&(kind, name)) {
        diags.push(Diagnostic::new(
            "redefined-item",
            loc,
            format!("{kind} '{name}' is defined again in the same file: this definition silently replaces the earlier one"),
        ));
    }
    defined_here.insert((kind, name), iref);
}

fn text_or_empty(c: &mut Composite, file: FileId, t: &Option<Text>, off: u32) {
    if let Some(t) = t {
        c.push_shifted(file, t, off);
    }
}

/// A copy of `t` moved by `off` bytes (items are read relative to their
/// chunk of the file).
fn shifted<T: Clone + Shift>(t: &T, off: u32) -> T {
    let mut t = t.clone();
    if off != 0 {
        t.shift(off);
    }
    t
}

fn collect_rule<'a>(
    c: &mut Collected,
    defined_here: &mut FxHashMap<(&'static str, &'a str), ItemRef>,
    r: &'a RuleItem,
    iref: ItemRef,
    seq: u32,
    off: u32,
) {
    let file = iref.file;
    let loc = |span: Span| Loc {
        file,
        span: span.shift(off),
    };
    let name = r.name.value.clone();
    let existing = c.rule_by_name.get(&name).copied();
    let source_mismatch =
        |c: &mut Collected, e: usize, src: &Option<Text>, implicit_default: bool| -> bool {
            let new = match src {
                Some(s) => s.value.as_str(),
                None if implicit_default => "syscall",
                None => return false,
            };
            if c.rules[e].source() != new {
                let span = src.as_ref().map(|s| s.span).unwrap_or(r.name.span);
                let first = c.rules[e].name_loc;
                c.diagnostics.push(
                    Diagnostic::new(
                        "source-mismatch",
                        loc(span),
                        "Rule has been re-defined with a different source",
                    )
                    .with_related(
                        first,
                        format!(
                            "'{}' was defined with source {}",
                            c.rules[e].name,
                            c.rules[e].source()
                        ),
                    ),
                );
                return true;
            }
            false
        };
    match r.form {
        RuleForm::Full => {
            if let Some(e) = existing {
                if source_mismatch(c, e, &r.source, true) {
                    return;
                }
                redefined(
                    &mut c.diagnostics,
                    defined_here,
                    "rule",
                    &r.name.value,
                    Mode::Define,
                    iref,
                    loc(r.name.span),
                );
            } else {
                defined_here.insert(("rule", &r.name.value), iref);
            }
            let mut entry = RuleEntry {
                name: name.clone(),
                name_loc: loc(r.name.span),
                index: seq,
                def: iref,
                defs: vec![iref],
                condition: Composite::default(),
                output: Composite::default(),
                desc: Composite::default(),
                priority: r
                    .priority
                    .as_ref()
                    .map(|p| p.value)
                    .unwrap_or(Priority::Debug),
                source: r.source.as_ref().map(|s| s.value.clone()),
                enabled: r.enabled.as_ref().is_none_or(|e| e.value),
                tags: dedup_tags(r.tags.iter().flatten().map(|t| t.value.clone())),
                exceptions: r
                    .exceptions
                    .iter()
                    .flatten()
                    .map(|ex| ExceptionEntry {
                        ex: shifted(ex, off),
                        item: iref,
                        more_values: Vec::new(),
                    })
                    .collect(),
                warn_evttypes: r.warn_evttypes.unwrap_or(true),
                skip_if_unknown_filter: r.skip_if_unknown_filter.unwrap_or(false),
                capture: r.capture.unwrap_or(false),
                capture_duration: r.capture_duration.unwrap_or(0),
            };
            text_or_empty(&mut entry.condition, file, &r.condition, off);
            text_or_empty(&mut entry.output, file, &r.output, off);
            text_or_empty(&mut entry.desc, file, &r.desc, off);
            match existing {
                Some(e) => {
                    entry.index = c.rules[e].index;
                    let mut defs = std::mem::take(&mut c.rules[e].defs);
                    defs.push(iref);
                    entry.defs = defs;
                    c.rules[e] = entry;
                }
                None => {
                    c.rule_by_name.0.insert(name, c.rules.len());
                    c.rules.push(entry);
                }
            }
        }
        RuleForm::EnableOnly => match existing {
            None => c.diagnostics.push(Diagnostic::new(
                "undefined-item",
                loc(r.name.span),
                "Rule has 'enabled' key but no rule by that name already exists",
            )),
            Some(e) => {
                if let Some(en) = &r.enabled {
                    c.rules[e].enabled = en.value;
                }
                c.rules[e].defs.push(iref);
            }
        },
        RuleForm::Append | RuleForm::Override => {
            let Some(e) = existing else {
                let msg = if let Some(k) = r.append_keys.first() {
                    format!("Rule uses 'append' or 'override.{k}: append' but no rule by that name already exists")
                } else if let Some(k) = r.replace_keys.first() {
                    format!("An 'override.{k}: replace' to a rule was requested but no rule by that name already exists")
                } else {
                    "Rule uses 'append' or 'override.condition: append' but no rule by that name already exists".to_string()
                };
                c.diagnostics
                    .push(Diagnostic::new("undefined-item", loc(r.name.span), msg));
                return;
            };
            let check_source =
                r.form == RuleForm::Append || r.appends("condition") || r.replaces("condition");
            if check_source && source_mismatch(c, e, &r.source, false) {
                return;
            }
            // Appends first, then replaces.
            if r.appends("condition") {
                if let Some(t) = &r.condition {
                    let rule = &mut c.rules[e];
                    rule.condition.push_glue(" ", loc(t.span));
                    rule.condition.push_shifted(file, t, off);
                }
            }
            for (key, comp) in [("output", 0), ("desc", 1)] {
                if r.appends(key) {
                    let t = if comp == 0 { &r.output } else { &r.desc };
                    if let Some(t) = t {
                        let rule = &mut c.rules[e];
                        let target = if comp == 0 {
                            &mut rule.output
                        } else {
                            &mut rule.desc
                        };
                        if !t.value.is_empty() {
                            target.push_glue(" ", loc(t.span));
                            target.push_shifted(file, t, off);
                        }
                    }
                }
            }
            if r.appends("tags") {
                let rule = &mut c.rules[e];
                let mut tags = rule.tags.clone();
                tags.extend(r.tags.iter().flatten().map(|t| t.value.clone()));
                rule.tags = dedup_tags(tags);
            }
            if r.appends("exceptions") {
                append_exceptions(c, e, r, iref, off);
            }
            let rule = &mut c.rules[e];
            for key in &r.replace_keys {
                match key.as_str() {
                    "condition" => {
                        rule.condition = Composite::default();
                        text_or_empty(&mut rule.condition, file, &r.condition, off);
                    }
                    "output" => {
                        rule.output = Composite::default();
                        text_or_empty(&mut rule.output, file, &r.output, off);
                    }
                    "desc" => {
                        rule.desc = Composite::default();
                        text_or_empty(&mut rule.desc, file, &r.desc, off);
                    }
                    "priority" => {
                        if let Some(p) = &r.priority {
                            rule.priority = p.value;
                        }
                    }
                    "tags" => {
                        rule.tags = dedup_tags(r.tags.iter().flatten().map(|t| t.value.clone()))
                    }
                    "exceptions" => {
                        rule.exceptions = r
                            .exceptions
                            .iter()
                            .flatten()
                            .map(|ex| ExceptionEntry {
                                ex: shifted(ex, off),
                                item: iref,
                                more_values: Vec::new(),
                            })
                            .collect()
                    }
                    "enabled" => rule.enabled = r.enabled.as_ref().is_none_or(|b| b.value),
                    "warn_evttypes" => rule.warn_evttypes = r.warn_evttypes.unwrap_or(true),
                    "skip-if-unknown-filter" => {
                        rule.skip_if_unknown_filter = r.skip_if_unknown_filter.unwrap_or(false)
                    }
                    "capture" => rule.capture = r.capture.unwrap_or(false),
                    "capture_duration" => rule.capture_duration = r.capture_duration.unwrap_or(0),
                    _ => {}
                }
            }
            rule.defs.push(iref);
        }
    }
}

fn dedup_tags(tags: impl IntoIterator<Item = Str>) -> Vec<Str> {
    let mut v: Vec<Str> = tags.into_iter().collect();
    v.sort();
    v.dedup();
    v
}

fn append_exceptions(c: &mut Collected, e: usize, r: &RuleItem, iref: ItemRef, off: u32) {
    let file = iref.file;
    for ex in r.exceptions.iter().flatten() {
        let loc = |span: Span| Loc {
            file,
            span: span.shift(off),
        };
        if ex.values.is_none() {
            c.diagnostics.push(Diagnostic::new(
                "append-no-values",
                loc(ex.name.span),
                "Overriding/appending exception with no values",
            ));
        }
        let rule = &mut c.rules[e];
        if let Some(existing) = rule
            .exceptions
            .iter_mut()
            .find(|x| x.ex.name.value == ex.name.value)
        {
            if let Some(f) = &ex.fields {
                c.diagnostics.push(Diagnostic::new(
                    "invalid-append",
                    loc(f.span()),
                    "Can not append exception fields to existing exception, only values",
                ));
                continue;
            }
            if let Some(f) = &ex.comps {
                c.diagnostics.push(Diagnostic::new(
                    "invalid-append",
                    loc(f.span()),
                    "Can not append exception comps to existing exception, only values",
                ));
                continue;
            }
            existing
                .more_values
                .extend(ex.values.iter().flatten().map(|v| (shifted(v, off), iref)));
        } else {
            if ex.fields.is_none() {
                c.diagnostics.push(Diagnostic::new(
                    "invalid-exception",
                    loc(ex.name.span),
                    "Rule exception must have fields property with a list of fields",
                ));
                continue;
            }
            if ex.values.is_none() {
                c.diagnostics.push(Diagnostic::new(
                    "invalid-exception",
                    loc(ex.name.span),
                    "Rule exception must have values property with a list of values",
                ));
                continue;
            }
            rule.exceptions.push(ExceptionEntry {
                ex: shifted(ex, off),
                item: iref,
                more_values: Vec::new(),
            });
        }
    }
}

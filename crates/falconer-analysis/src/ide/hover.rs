//! Hover: fields (type, argument form, description, deprecation) in
//! conditions and outputs, operators, macros (their condition as loaded,
//! appends joined), lists (items and expanded items) and rules.

use super::locate::{self, ItemCtx, ItemKind, Spot};
use super::navigation::{target_at, Target};
use super::{Analysis, FilePosition};
use crate::cat::Scope;
use crate::checks::output::token_compiles;
use crate::collect::ItemRef;
use crate::model::{ItemDef, Mode, RuleForm};
use falconer_catalog::{
    catalog, deprecated_field_warning, ArgForm, ArgRequirement, ArgType, FieldInfo, OPERATORS,
};
use falconer_syntax::ast::{FieldRef, Lhs, TransformerArg};
use falconer_syntax::output::{parse_output, OutputSegment};
use falconer_syntax::visit::{node_at, Node};
use falconer_text::Span;
use std::fmt::Write;

/// Markdown to show and the range it is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HoverResult {
    pub markdown: String,
    pub span: Span,
}

/// Items listed in a list hover before "… N more".
const MAX_LIST_ITEMS: usize = 40;

pub fn hover(a: &Analysis, pos: FilePosition) -> Option<HoverResult> {
    if let Some((t, span)) = target_at(a, pos) {
        let markdown = match &t {
            Target::Macro(n) => macro_hover(a, n),
            Target::List(n) => list_hover(a, n),
            Target::Rule(n) => rule_hover(a, n)?,
        };
        return Some(HoverResult { markdown, span });
    }
    let yaml = a.yaml(pos.file)?;
    let text = a.file_text(pos.file);
    let (item, spot) = locate::locate(yaml, text, pos.offset)?;
    let plugins = a.plugins();
    let scope = Scope::new(
        item.source().unwrap_or("syscall"),
        &plugins,
        a.config().imported.as_ref(),
    );
    match spot {
        Spot::Condition(v) => {
            let parsed = a.parse_written(v.value());
            let visit = node_at(parsed.expr.as_ref()?, v.offset)?;
            match visit.node {
                Node::Field { field, .. } => {
                    let markdown = field_hover(&scope, &item, field)?;
                    Some(HoverResult {
                        markdown,
                        span: v.file_span(field.span),
                    })
                }
                Node::Operator(op) => {
                    let info = OPERATORS.iter().find(|o| o.op == op.kind)?;
                    let mut md = format!("**operator** `{}`\n\n{}", op.text(), info.description);
                    if info.modifiers {
                        md.push_str("\n\nAccepts the modifiers `oneof`, `anyof`, `allof`.");
                    }
                    Some(HoverResult {
                        markdown: md,
                        span: v.file_span(op.span),
                    })
                }
                _ => None,
            }
        }
        Spot::Output(v) => {
            let accepts = |lhs: &Lhs| token_compiles(&scope, lhs);
            let fmt = parse_output(v.value(), &accepts);
            let field = fmt.segments.iter().find_map(|s| match s {
                OutputSegment::Token { expr, span, .. } if span.touches(v.offset) => {
                    field_in_lhs(expr, v.offset)
                }
                _ => None,
            })?;
            let markdown = field_hover(&scope, &item, field)?;
            Some(HoverResult {
                markdown,
                span: v.file_span(field.span),
            })
        }
        _ => None,
    }
}

fn field_in_lhs(lhs: &Lhs, offset: u32) -> Option<&FieldRef> {
    fn in_arg(a: &TransformerArg, offset: u32) -> Option<&FieldRef> {
        match a {
            TransformerArg::Field(f) if f.span.touches(offset) => Some(f),
            TransformerArg::Transformer(t) => t.args.iter().find_map(|a| in_arg(a, offset)),
            TransformerArg::List { items, .. } => items.iter().find_map(|a| in_arg(a, offset)),
            _ => None,
        }
    }
    match lhs {
        Lhs::Field(f) if f.span.touches(offset) => Some(f),
        Lhs::Field(_) => None,
        Lhs::Transformer(t) => t.args.iter().find_map(|a| in_arg(a, offset)),
    }
}

fn field_hover(scope: &Scope, item: &ItemCtx<'_>, f: &FieldRef) -> Option<String> {
    let arg = f.arg.as_ref().map(|a| a.value.as_str());
    let mut resolved = catalog().resolve(&f.name, arg, &scope.field_scope());
    if resolved.is_err() && item.kind != ItemKind::Rule {
        // Macros serve rules of every source.
        for src in scope.known_sources() {
            let other = scope.for_source(src);
            if let Ok(r) = catalog().resolve(&f.name, arg, &other.field_scope()) {
                resolved = Ok(r);
                break;
            }
        }
    }
    let (info, ty, note) = match resolved {
        Ok(r) => (r.field, r.arg_type(), None),
        Err(e) => {
            let info = catalog().field(&f.name)?;
            let why = if item.kind == ItemKind::Rule {
                format!(
                    "Not available here ({}): {}",
                    if scope.field_scope().sees(info) {
                        "bad argument"
                    } else {
                        "other source or plugin not loaded"
                    },
                    e.message()
                )
            } else {
                e.message()
            };
            (info, info.arg_type(), Some(why))
        }
    };
    let mut md = field_doc(info, ty);
    if let Some(n) = note {
        let _ = write!(md, "\n\n**{n}**");
    }
    Some(md)
}

/// How a field's argument is written.
pub(crate) fn arg_forms(f: &FieldInfo) -> String {
    f.arg_forms
        .iter()
        .map(|form| match form {
            ArgForm::BracketIndex => "`[N]` (an index)".to_string(),
            ArgForm::BracketKey => "`[KEY]`".to_string(),
            ArgForm::DotEventParam => "`.PARAM` (an event parameter)".to_string(),
            ArgForm::DotEventType => "`.NAME` (an event type)".to_string(),
            ArgForm::DotEnum(words) => format!("`.{}`", words.join("|")),
            ArgForm::DotCgroupSubsystem => "`.SUBSYSTEM` (a cgroup subsystem)".to_string(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The documentation of a field (hover, completion).
pub(crate) fn field_doc(f: &FieldInfo, ty: ArgType) -> String {
    let mut md = format!("**{}** · `{}`\n\n{}", f.name, ty, f.description());
    let mut facts: Vec<String> = Vec::new();
    match f.arg {
        ArgRequirement::None => {}
        ArgRequirement::Allowed => facts.push(format!("optional argument: {}", arg_forms(f))),
        ArgRequirement::Required => facts.push(format!("required argument: {}", arg_forms(f))),
    }
    let source = if f.source == "*" {
        "every source".to_string()
    } else {
        format!("source `{}`", f.source)
    };
    match f.plugin {
        Some(p) => facts.push(format!("{source}, plugin `{p}`")),
        None => facts.push(source),
    }
    if f.output_only {
        facts.push("only meaningful in outputs".into());
    }
    if f.filter_only {
        facts.push("only meaningful in conditions".into());
    }
    if let Some(of) = f.alias_of {
        facts.push(format!("alias of `{of}`"));
    }
    if f.deprecated {
        let mut d = "**deprecated**".to_string();
        if let Some(w) = deprecated_field_warning(f.name) {
            let _ = write!(d, ": {w}");
        }
        if let Some(r) = f.replaced_by {
            let _ = write!(d, " (use `{r}`)");
        }
        facts.push(d);
    }
    for fact in facts {
        let _ = write!(md, "\n\n- {fact}");
    }
    md
}

fn file_name(a: &Analysis, file: u32) -> String {
    let p = a.file_path(file);
    p.rsplit(['/', '\\']).next().unwrap_or(p).to_string()
}

/// "defined in `a.yaml`, appended in `b.yaml`".
fn origins(a: &Analysis, defs: &[ItemRef]) -> String {
    let mut parts = Vec::new();
    for r in defs {
        let Some(item) = a
            .file_items(r.file)
            .and_then(|f| f.items.get(r.index as usize))
        else {
            continue;
        };
        let verb = match &item.def {
            ItemDef::List(l) => mode_verb(l.mode),
            ItemDef::Macro(m) => mode_verb(m.mode),
            ItemDef::Rule(rule) => match rule.form {
                RuleForm::Full => "defined",
                RuleForm::Append => "appended",
                RuleForm::Override => "overridden",
                RuleForm::EnableOnly => "enabled/disabled",
            },
            _ => continue,
        };
        parts.push(format!("{verb} in `{}`", file_name(a, r.file)));
    }
    let mut s = parts.join(", ");
    if let Some(c) = s.get_mut(..1) {
        c.make_ascii_uppercase();
    }
    s
}

fn mode_verb(m: Mode) -> &'static str {
    match m {
        Mode::Define => "defined",
        Mode::Append => "appended",
        Mode::Replace => "overridden",
    }
}

fn macro_hover(a: &Analysis, name: &str) -> String {
    let c = a.collected();
    let Some(&i) = c.macro_by_name.get(name) else {
        let mut md = format!("**macro** `{name}`\n\nNot defined in the loaded rules files.");
        for file in a.loaded_count() as u32..a.file_count() as u32 {
            let defined = a.file_items(file).is_some_and(|f| {
                f.items
                    .iter()
                    .any(|it| matches!(&it.def, ItemDef::Macro(m) if m.name.value == name))
            });
            if defined {
                let _ = write!(
                    md,
                    " Defined in `{}`, which is not loaded.",
                    file_name(a, file)
                );
            }
        }
        return md;
    };
    let m = &c.macros[i];
    let mut md = format!(
        "**macro** `{name}`\n\n```\n{}\n```",
        m.condition.text.trim()
    );
    if let Some(cm) = a.compiled().macros.get(i) {
        if cm.subst.text != m.condition.text && !cm.subst.uses.is_empty() {
            let _ = write!(
                md,
                "\n\nWith lists substituted:\n\n```\n{}\n```",
                cm.subst.text.trim()
            );
        }
    }
    let _ = write!(md, "\n\n{}.", origins(a, &m.defs));
    md
}

fn quoted_items<'a>(items: impl ExactSizeIterator<Item = &'a str>) -> String {
    let n = items.len();
    let mut s = items
        .take(MAX_LIST_ITEMS)
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if n > MAX_LIST_ITEMS {
        let _ = write!(s, ", … {} more", n - MAX_LIST_ITEMS);
    }
    if n == 0 {
        s.push_str("(empty)");
    }
    s
}

fn list_hover(a: &Analysis, name: &str) -> String {
    let c = a.collected();
    let Some(&i) = c.list_by_name.get(name) else {
        return format!("**list** `{name}`\n\nNot defined in the loaded rules files.");
    };
    let l = &c.lists[i];
    let raw: Vec<&str> = l.items.iter().map(|(t, _)| t.value.as_str()).collect();
    let n = raw.len();
    let mut md = format!(
        "**list** `{name}` · {n} item{}\n\n{}",
        if n == 1 { "" } else { "s" },
        quoted_items(raw.iter().copied())
    );
    if let Some(expanded) = a.compiled().list_items.get(i) {
        if expanded.iter().map(String::as_str).ne(raw.iter().copied()) {
            let _ = write!(
                md,
                "\n\nExpanded ({} items): {}",
                expanded.len(),
                quoted_items(expanded.iter().map(String::as_str))
            );
        }
    }
    let _ = write!(md, "\n\n{}.", origins(a, &l.defs));
    md
}

fn rule_hover(a: &Analysis, name: &str) -> Option<String> {
    let c = a.collected();
    let r = &c.rules[*c.rule_by_name.get(name)?];
    let mut md = format!(
        "**rule** `{name}` · {} · source `{}`",
        r.priority.upper(),
        r.source()
    );
    if !r.enabled {
        md.push_str(" · disabled");
    }
    let desc = r.desc.text.trim();
    if !desc.is_empty() {
        let _ = write!(md, "\n\n{desc}");
    }
    let _ = write!(md, "\n\n{}.", origins(a, &r.defs));
    Some(md)
}

/// The documentation of a field by name (completion items leave it out
/// when there are many, and the client asks for it item by item).
pub fn field_documentation(name: &str) -> Option<String> {
    let f = catalog().field(name)?;
    Some(field_doc(f, f.arg_type()))
}

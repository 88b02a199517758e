//! The symbols of one file: its lists, macros and rules (and the version
//! requirements), in file order.

use super::{Analysis, SymbolKind};
use crate::model::{ItemDef, Mode, RuleForm};
use crate::FileId;
use falconer_text::Span;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DocumentSymbol {
    pub kind: SymbolKind,
    pub name: String,
    /// Priority for rules; `append`/`override` for items that change an
    /// earlier one; the version for requirements.
    pub detail: Option<String>,
    pub full_span: Span,
    pub focus_span: Span,
}

fn mode_detail(mode: Mode) -> Option<String> {
    match mode {
        Mode::Define => None,
        Mode::Append => Some("append".into()),
        Mode::Replace => Some("override".into()),
    }
}

/// The symbols of `file`, in file order (items the reader rejected are
/// left out).
pub fn document_symbols(a: &Analysis, file: FileId) -> Vec<DocumentSymbol> {
    let Some(items) = a.file_items(file) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in &items.items {
        let (kind, name, detail, focus) = match &item.def {
            ItemDef::List(l) => (
                SymbolKind::List,
                l.name.value.to_string(),
                mode_detail(l.mode),
                l.name.span,
            ),
            ItemDef::Macro(m) => (
                SymbolKind::Macro,
                m.name.value.to_string(),
                mode_detail(m.mode),
                m.name.span,
            ),
            ItemDef::Rule(r) => {
                let form = match r.form {
                    RuleForm::Full => None,
                    RuleForm::Append => Some("append"),
                    RuleForm::Override => Some("override"),
                    RuleForm::EnableOnly => Some("enabled"),
                };
                let prio = r.priority.as_ref().map(|p| p.value.upper());
                let detail = match (prio, form) {
                    (Some(p), Some(f)) => Some(format!("{p} ({f})")),
                    (Some(p), None) => Some(p.to_string()),
                    (None, Some(f)) => Some(f.to_string()),
                    (None, None) => None,
                };
                (
                    SymbolKind::Rule,
                    r.name.value.to_string(),
                    detail,
                    r.name.span,
                )
            }
            ItemDef::EngineVersion(v) => (
                SymbolKind::EngineVersion,
                "required_engine_version".into(),
                Some(format!("{}.{}.{}", v.value.0, v.value.1, v.value.2)),
                item.key_span,
            ),
            ItemDef::PluginVersions(p) => (
                SymbolKind::PluginVersions,
                "required_plugin_versions".into(),
                Some(
                    p.iter()
                        .map(|r| r.name.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                item.key_span,
            ),
        };
        out.push(DocumentSymbol {
            kind,
            name,
            detail,
            full_span: item.span.cover(focus),
            focus_span: focus,
        });
    }
    out
}

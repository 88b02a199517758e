//! Reading: YAML documents into items, with the schema checks Falco's
//! reader does (LANGUAGE.md C.1–C.10): document shape, item kinds, required
//! keys, scalar decoding, priorities, engine and plugin versions, override
//! syntax, exception shapes, unknown keys and items, deprecations, names.
//!
//! Falco stops reading a file at its first error. We drop only the item in
//! error and keep reading, so the rest of the file is still checked.

use crate::diagnostic::{Diagnostic, FileId, Loc};
use crate::model::*;
use falconer_text::{suggest, Span};
use falconer_yaml::{Entry, Node, NodeKind, YamlFile};
use std::sync::Arc;

/// The decoded items of one file plus the read-stage diagnostics.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FileItems {
    pub items: Vec<Item>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads one parsed file.
pub fn read_file(file: FileId, yaml: &YamlFile) -> FileItems {
    let mut r = Reader {
        file,
        out: FileItems::default(),
    };
    for e in &yaml.errors {
        r.out.diagnostics.push(Diagnostic::new(
            "yaml-syntax",
            Loc { file, span: e.span },
            e.message.clone(),
        ));
    }
    let mut hinted = false;
    for doc in &yaml.documents {
        let Some(root) = &doc.root else { continue };
        if doc.recovered && !hinted {
            hinted = true;
            r.out.diagnostics.push(Diagnostic::new(
                "yaml-recovered",
                r.loc(root.span),
                "Falco stops at this file's YAML syntax error; falconer checked the items from here on by recovery",
            ));
        }
        match &root.kind {
            NodeKind::Null => {}
            NodeKind::Scalar(_) => {
                r.err("invalid-document", root.span, "Rules content is not yaml")
            }
            NodeKind::Mapping { .. } => r.err(
                "invalid-document",
                root.span,
                "Rules content is not yaml array of objects",
            ),
            NodeKind::Sequence { items, .. } => {
                for node in items {
                    r.read_item(node, doc.recovered);
                }
            }
        }
    }
    r.out
}

struct Reader {
    file: FileId,
    out: FileItems,
}

/// Marks a failed item; the diagnostic was already pushed.
struct Failed;
type R<T> = Result<T, Failed>;

const LIST_KEYS: &[&str] = &["list", "items", "append", "override"];
const MACRO_KEYS: &[&str] = &["macro", "condition", "append", "override"];
const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "capture",
    "capture_duration",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "tags",
    "exceptions",
    "override",
    "append",
];

fn key_str(e: &Entry) -> Option<&str> {
    e.key.as_str()
}

/// yaml-cpp's boolean spellings.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// `major.minor.patch` with trailing text ignored after the patch number.
pub fn parse_semver(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.splitn(3, '.');
    let num = |p: &str| -> Option<u32> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let major = num(parts.next()?)?;
    let minor = num(parts.next()?)?;
    let rest = parts.next()?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let patch = num(&digits)?;
    Some((major, minor, patch))
}

fn is_valid_macro_name(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    letters > 0
        && b[letters..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

pub(crate) fn is_valid_list_name(s: &str) -> bool {
    !s.is_empty()
        && !s.bytes().any(|c| {
            matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',')
                || c.is_ascii_whitespace()
                || c == 0x0b
        })
}

impl Reader {
    fn loc(&self, span: Span) -> Loc {
        Loc {
            file: self.file,
            span,
        }
    }

    fn err(&mut self, code: &'static str, span: Span, msg: impl Into<String>) {
        let d = Diagnostic::new(code, self.loc(span), msg);
        self.out.diagnostics.push(d);
    }

    fn fail<T>(&mut self, code: &'static str, span: Span, msg: impl Into<String>) -> R<T> {
        self.err(code, span, msg);
        Err(Failed)
    }

    fn read_item(&mut self, node: &Node, recovered: bool) {
        let entries = match &node.kind {
            NodeKind::Null => return,
            NodeKind::Mapping { entries, .. } => entries,
            _ => {
                self.err(
                    "invalid-document",
                    node.span,
                    "Unexpected element type. Each element should be a yaml associative array.",
                );
                return;
            }
        };
        let kinds = [
            "required_engine_version",
            "required_plugin_versions",
            "list",
            "macro",
            "rule",
        ];
        let Some((kind, key_entry)) = kinds.iter().find_map(|k| node.get(k).map(|e| (*k, e)))
        else {
            let mut d = Diagnostic::new(
                "unknown-item",
                self.loc(node.span),
                "Unknown top level item",
            );
            if let Some(first) = entries.first().and_then(key_str) {
                if let Some(s) = suggest(first, kinds) {
                    let span = entries[0].key.span;
                    d = d.with_suggestion(format!("did you mean '{s}'?"), span, s);
                }
            }
            self.out.diagnostics.push(d);
            return;
        };
        let key_span = key_entry.key.span;
        let allowed: &[&str] = match kind {
            "list" => LIST_KEYS,
            "macro" => MACRO_KEYS,
            "rule" => RULE_KEYS,
            k => std::slice::from_ref(match k {
                "required_engine_version" => &"required_engine_version",
                _ => &"required_plugin_versions",
            }),
        };
        for e in entries {
            let Some(k) = key_str(e) else { continue };
            if !allowed.contains(&k) {
                let mut d = Diagnostic::new(
                    "unknown-key",
                    self.loc(e.key.span),
                    format!("Unknown key '{k}'. The key will be ignored."),
                );
                if let Some(s) = suggest(k, allowed.iter().copied()) {
                    d = d.with_suggestion(format!("did you mean '{s}'?"), e.key.span, s);
                }
                self.out.diagnostics.push(d);
            }
        }
        let def = match kind {
            "required_engine_version" => self.read_engine_version(key_entry),
            "required_plugin_versions" => self.read_plugin_versions(key_entry),
            "list" => self.read_list(node, key_span).map(ItemDef::List),
            "macro" => self.read_macro(node, key_span).map(ItemDef::Macro),
            _ => self
                .read_rule(node, key_span)
                .map(|r| ItemDef::Rule(Box::new(r))),
        };
        if let Ok(def) = def {
            self.out.items.push(Item {
                def,
                span: node.span,
                key_span,
                recovered,
            });
        }
    }

    // ---- scalar decoding (C.2) ----

    /// A required, non-empty string value.
    fn req_str(&mut self, item: &Node, key: &str, key_span: Span) -> R<Text> {
        match item.get(key) {
            None => self.fail(
                "missing-key",
                key_span,
                format!("Item has no mapping for key '{key}'"),
            ),
            Some(e) => self.str_value(&e.value, key),
        }
    }

    /// An optional string: absent is fine; present must decode.
    fn opt_str(&mut self, item: &Node, key: &str) -> R<Option<Text>> {
        match item.get(key) {
            None => Ok(None),
            Some(e) => self.str_value(&e.value, key).map(Some),
        }
    }

    fn str_value(&mut self, node: &Node, key: &str) -> R<Text> {
        match &node.kind {
            NodeKind::Null => self.fail(
                "empty-value",
                node.span,
                format!("Mapping for key '{key}' is empty"),
            ),
            NodeKind::Scalar(s) => {
                if s.value.is_empty() {
                    return self.fail("empty-value", node.span, "Value must be non-empty");
                }
                Ok(Text::new(
                    s.value.clone(),
                    node.span,
                    Some(Arc::new(s.clone())),
                ))
            }
            _ => self.fail(
                "invalid-value-type",
                node.span,
                "Value is not a scalar value",
            ),
        }
    }

    fn opt_bool(&mut self, item: &Node, key: &str) -> R<Option<Spanned<bool>>> {
        let Some(t) = self.opt_str(item, key)? else {
            return Ok(None);
        };
        match parse_bool(&t.value) {
            Some(b) => Ok(Some(Spanned {
                value: b,
                span: t.span,
            })),
            None => self.fail(
                "invalid-value-type",
                t.span,
                "Can't decode YAML scalar value",
            ),
        }
    }

    fn opt_u32(&mut self, item: &Node, key: &str) -> R<Option<u32>> {
        let Some(t) = self.opt_str(item, key)? else {
            return Ok(None);
        };
        match t.value.parse::<u32>() {
            Ok(v) => Ok(Some(v)),
            Err(_) => self.fail(
                "invalid-value-type",
                t.span,
                "Can't decode YAML scalar value",
            ),
        }
    }

    /// A sequence of scalars (`items`, `tags`); `[]` is fine.
    fn seq_of_str(&mut self, node: &Node, key: &str) -> R<Vec<Text>> {
        match &node.kind {
            NodeKind::Null => self.fail(
                "empty-value",
                node.span,
                format!("Mapping for key '{key}' is empty"),
            ),
            NodeKind::Sequence { items, .. } => {
                let mut out = Vec::with_capacity(items.len());
                for n in items {
                    match &n.kind {
                        NodeKind::Scalar(s) => out.push(Text::new(
                            s.value.clone(),
                            n.span,
                            Some(Arc::new(s.clone())),
                        )),
                        _ => {
                            return self.fail(
                                "invalid-value-type",
                                n.span,
                                "sequence value is not scalar",
                            )
                        }
                    }
                }
                Ok(out)
            }
            _ => self.fail("invalid-value-type", node.span, "Value is not a sequence"),
        }
    }

    fn check_name_and_deprecated_append(&mut self, item: &Node) -> R<bool> {
        let append = self.opt_bool(item, "append")?;
        if let Some(a) = &append {
            if a.value {
                self.err(
                    "deprecated-item",
                    item.get("append").map(|e| e.key.span).unwrap_or(a.span),
                    "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
                );
            }
        }
        Ok(append.is_some_and(|a| a.value))
    }

    /// Reads an `override` map: `(key, op, span)` entries, or `None` when
    /// absent. `appendable`/`replaceable` are the keys each op allows.
    fn read_override(
        &mut self,
        item: &Node,
        appendable: &[&str],
        replaceable: &[&str],
    ) -> R<Option<Vec<(String, Mode, Span)>>> {
        let Some(e) = item.get("override") else {
            return Ok(None);
        };
        let entries = match &e.value.kind {
            NodeKind::Mapping { entries, .. } => entries,
            // Only a non-empty map selects the override form.
            NodeKind::Null => return Ok(None),
            _ => {
                return self.fail(
                    "invalid-override",
                    e.value.span,
                    "'override' must be a map of key: append|replace",
                )
            }
        };
        if entries.is_empty() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for oe in entries {
            let Some(k) = key_str(oe) else {
                return self.fail(
                    "invalid-override",
                    oe.key.span,
                    "Value is not a scalar value",
                );
            };
            let op = oe.value.as_str().unwrap_or("");
            let can_append = appendable.contains(&k);
            let can_replace = replaceable.contains(&k);
            let mode = match op {
                "append" if can_append => Mode::Append,
                "replace" if can_replace => Mode::Replace,
                "append" => {
                    return self.fail(
                        "invalid-override",
                        oe.value.span,
                        format!("Key '{k}' cannot be appended to, use 'replace' instead"),
                    )
                }
                "replace" => {
                    return self.fail(
                        "invalid-override",
                        oe.value.span,
                        format!("Key '{k}' cannot be replaced"),
                    )
                }
                _ => {
                    let mut allowed = String::new();
                    if can_append {
                        allowed.push_str("append ");
                    }
                    if can_replace {
                        allowed.push_str("replace ");
                    }
                    let span = if can_append || can_replace {
                        oe.value.span
                    } else {
                        oe.key.span
                    };
                    let mut d = Diagnostic::new(
                        "invalid-override",
                        self.loc(span),
                        format!(
                            "Invalid override operation for key '{k}': '{op}'. Allowed values are: {allowed}"
                        ),
                    );
                    if can_append || can_replace {
                        if let Some(s) = suggest(op, ["append", "replace"]) {
                            d = d.with_suggestion(format!("did you mean '{s}'?"), span, s);
                        }
                    } else if let Some(s) =
                        suggest(k, appendable.iter().chain(replaceable).copied())
                    {
                        d = d.with_suggestion(format!("did you mean '{s}'?"), span, s);
                    }
                    self.out.diagnostics.push(d);
                    return Err(Failed);
                }
            };
            out.push((k.to_string(), mode, oe.key.span));
        }
        Ok(Some(out))
    }

    // ---- items ----

    fn read_engine_version(&mut self, e: &Entry) -> R<ItemDef> {
        let t = self.str_value(&e.value, "required_engine_version")?;
        let v = if let Ok(n) = t.value.parse::<u32>() {
            (0, n, 0)
        } else if let Some(v) = parse_semver(&t.value) {
            v
        } else {
            return self.fail(
                "invalid-engine-version",
                t.span,
                format!(
                    "Unable to parse engine version '{}' as a semver string. Expected \"x.y.z\" semver format.",
                    t.value
                ),
            );
        };
        Ok(ItemDef::EngineVersion(Spanned {
            value: v,
            span: t.span,
        }))
    }

    fn read_plugin_versions(&mut self, e: &Entry) -> R<ItemDef> {
        let items = match &e.value.kind {
            NodeKind::Sequence { items, .. } => items,
            NodeKind::Null => {
                return self.fail(
                    "empty-value",
                    e.value.span,
                    "Mapping for key 'required_plugin_versions' is empty",
                )
            }
            _ => {
                return self.fail(
                    "invalid-value-type",
                    e.value.span,
                    "Value is not a sequence",
                )
            }
        };
        let mut out = Vec::new();
        for n in items {
            if !matches!(n.kind, NodeKind::Mapping { .. }) {
                return self.fail(
                    "invalid-value-type",
                    n.span,
                    "Unexpected element type. Each element should be a yaml associative array.",
                );
            }
            let name = self.req_str(n, "name", n.span)?;
            let version = self.req_str(n, "version", n.span)?;
            self.check_plugin_version(&name, &version)?;
            let mut alternatives = Vec::new();
            let mut seen = vec![name.value.clone()];
            if let Some(alt) = n.get("alternatives") {
                let alts = match &alt.value.kind {
                    NodeKind::Sequence { items, .. } => items,
                    _ => {
                        return self.fail(
                            "invalid-value-type",
                            alt.value.span,
                            "Value is not a sequence",
                        )
                    }
                };
                for a in alts {
                    if !matches!(a.kind, NodeKind::Mapping { .. }) {
                        return self.fail(
                            "invalid-value-type",
                            a.span,
                            "Unexpected element type. Each element should be a yaml associative array.",
                        );
                    }
                    let an = self.req_str(a, "name", a.span)?;
                    let av = self.req_str(a, "version", a.span)?;
                    self.check_plugin_version(&an, &av)?;
                    if seen.contains(&an.value) {
                        return self.fail(
                            "invalid-plugin-requirement",
                            an.span,
                            format!(
                                "Defined multiple alternative version requirements for plugin '{}'",
                                an.value
                            ),
                        );
                    }
                    seen.push(an.value.clone());
                    alternatives.push((an, av));
                }
            }
            out.push(PluginReq {
                name,
                version,
                alternatives,
            });
        }
        Ok(ItemDef::PluginVersions(out))
    }

    fn check_plugin_version(&mut self, name: &Text, version: &Text) -> R<()> {
        if parse_semver(&version.value).is_none() {
            return self.fail(
                "invalid-plugin-requirement",
                version.span,
                format!(
                    "Invalid required version '{}' for plugin '{}'",
                    version.value, name.value
                ),
            );
        }
        Ok(())
    }

    fn read_list(&mut self, item: &Node, key_span: Span) -> R<ListItem> {
        let name = self.req_str(item, "list", key_span)?;
        let append = self.check_name_and_deprecated_append(item)?;
        let ov = self.read_override(item, &["items"], &["items"])?;
        let items_entry = item.get("items");
        let items = match items_entry {
            None => {
                return self.fail(
                    "missing-key",
                    key_span,
                    "Item has no mapping for key 'items'",
                )
            }
            Some(e) => self.seq_of_str(&e.value, "items")?,
        };
        let mode = self.mode_from(item, append, ov.as_deref(), "items")?;
        if !is_valid_list_name(&name.value) {
            self.err(
                "invalid-list-name",
                name.span,
                "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
            );
        }
        Ok(ListItem { name, items, mode })
    }

    fn read_macro(&mut self, item: &Node, key_span: Span) -> R<MacroItem> {
        let name = self.req_str(item, "macro", key_span)?;
        let append = self.check_name_and_deprecated_append(item)?;
        let ov = self.read_override(item, &["condition"], &["condition"])?;
        let condition = self.req_str(item, "condition", key_span)?;
        let mode = self.mode_from(item, append, ov.as_deref(), "condition")?;
        if !is_valid_macro_name(&name.value) {
            self.err(
                "invalid-macro-name",
                name.span,
                "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
            );
        }
        Ok(MacroItem {
            name,
            condition,
            mode,
        })
    }

    /// The mode of a list/macro item from `append` and `override`.
    fn mode_from(
        &mut self,
        item: &Node,
        append: bool,
        ov: Option<&[(String, Mode, Span)]>,
        key: &str,
    ) -> R<Mode> {
        match ov {
            Some(ov) => {
                if append {
                    return self.override_with_append(item);
                }
                Ok(ov
                    .iter()
                    .find(|(k, _, _)| k == key)
                    .map(|(_, m, _)| *m)
                    .unwrap_or(Mode::Define))
            }
            None if append => Ok(Mode::Append),
            None => Ok(Mode::Define),
        }
    }

    fn override_with_append<T>(&mut self, item: &Node) -> R<T> {
        let span = item
            .get("override")
            .map(|e| e.key.span)
            .unwrap_or(item.span);
        self.fail(
            "invalid-override",
            span,
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
        )
    }

    fn read_rule(&mut self, item: &Node, key_span: Span) -> R<RuleItem> {
        let name = self.req_str(item, "rule", key_span)?;
        let append = self.check_name_and_deprecated_append(item)?;
        let ov = self.read_override(item, RULE_APPENDABLE, RULE_REPLACEABLE)?;
        let mut rule = RuleItem {
            name,
            form: RuleForm::Full,
            condition: None,
            output: None,
            desc: None,
            priority: None,
            source: None,
            enabled: None,
            tags: None,
            exceptions: None,
            warn_evttypes: None,
            skip_if_unknown_filter: None,
            capture: None,
            capture_duration: None,
            append_keys: Vec::new(),
            replace_keys: Vec::new(),
        };
        if let Some(ov) = ov {
            if append {
                return self.override_with_append(item);
            }
            rule.form = RuleForm::Override;
            for (k, mode, kspan) in &ov {
                if item.get(k).is_none() {
                    let what = if *mode == Mode::Append {
                        "append"
                    } else {
                        "replace"
                    };
                    return self.fail(
                        "invalid-override",
                        *kspan,
                        format!(
                            "An {what} override for '{k}' was specified but '{k}' is not defined"
                        ),
                    );
                }
                match mode {
                    Mode::Append => rule.append_keys.push(k.clone()),
                    _ => rule.replace_keys.push(k.clone()),
                }
            }
            if let NodeKind::Mapping { entries, .. } = &item.kind {
                for e in entries {
                    let Some(k) = key_str(e) else { continue };
                    let overridable = RULE_APPENDABLE.contains(&k) || RULE_REPLACEABLE.contains(&k);
                    if overridable && !ov.iter().any(|(o, _, _)| o == k) {
                        return self.fail(
                            "invalid-override",
                            e.key.span,
                            format!("Unexpected key '{k}': no corresponding entry under 'override' is defined."),
                        );
                    }
                }
            }
            self.read_rule_keys(item, &mut rule, false)?;
            return Ok(rule);
        }
        if append {
            rule.form = RuleForm::Append;
            rule.condition = self.opt_str(item, "condition")?;
            rule.exceptions = self.read_exceptions(item, true)?;
            // `source` may be empty or null here.
            if let Some(e) = item.get("source") {
                if let Some(s) = e.value.as_scalar() {
                    if !s.value.is_empty() {
                        rule.source = self.opt_str(item, "source")?;
                    }
                }
            }
            if rule.condition.is_none() && rule.exceptions.is_none() {
                return self.fail(
                    "invalid-append",
                    key_span,
                    "Appended rule must have exceptions or condition property",
                );
            }
            return Ok(rule);
        }
        let has_any = ["condition", "output", "desc", "priority"]
            .iter()
            .any(|k| item.get(k).is_some());
        if !has_any {
            rule.form = RuleForm::EnableOnly;
            let Some(e) = item.get("enabled") else {
                return self.fail(
                    "missing-key",
                    key_span,
                    "Item has no mapping for key 'enabled'",
                );
            };
            rule.enabled = self.opt_bool(item, "enabled")?;
            self.err(
                "deprecated-item",
                e.key.span,
                "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').",
            );
            return Ok(rule);
        }
        rule.condition = Some(self.req_str(item, "condition", key_span)?);
        let mut output = self.req_str(item, "output", key_span)?;
        trim_text(&mut output);
        rule.output = Some(output);
        rule.desc = Some(self.req_str(item, "desc", key_span)?);
        let p = self.req_str(item, "priority", key_span)?;
        rule.priority = Some(self.priority(&p)?);
        self.read_rule_keys(item, &mut rule, true)?;
        Ok(rule)
    }

    fn priority(&mut self, p: &Text) -> R<Spanned<Priority>> {
        match Priority::parse(&p.value) {
            Some(v) => Ok(Spanned {
                value: v,
                span: p.span,
            }),
            None => {
                let names = Priority::ALL.iter().map(|p| p.upper()).chain(["INFO"]);
                let upper = p.value.to_ascii_uppercase();
                let mut d =
                    Diagnostic::new("invalid-priority", self.loc(p.span), "Invalid priority");
                if let Some(s) = suggest(&upper, names) {
                    d = d.with_suggestion(format!("did you mean '{s}'?"), p.span, s);
                }
                self.out.diagnostics.push(d);
                Err(Failed)
            }
        }
    }

    /// Optional keys of a full or override rule. In the override form the
    /// keys are all optional (present ones were checked against `override`).
    fn read_rule_keys(&mut self, item: &Node, rule: &mut RuleItem, full: bool) -> R<()> {
        if !full {
            rule.condition = self.opt_str(item, "condition")?;
            if let Some(mut o) = self.opt_str(item, "output")? {
                trim_text(&mut o);
                rule.output = Some(o);
            }
            rule.desc = self.opt_str(item, "desc")?;
            if let Some(p) = self.opt_str(item, "priority")? {
                rule.priority = Some(self.priority(&p)?);
            }
        }
        rule.source = self.opt_str(item, "source")?;
        rule.enabled = self.opt_bool(item, "enabled")?;
        rule.capture = self.opt_bool(item, "capture")?.map(|b| b.value);
        rule.capture_duration = self.opt_u32(item, "capture_duration")?;
        rule.warn_evttypes = self.opt_bool(item, "warn_evttypes")?.map(|b| b.value);
        rule.skip_if_unknown_filter = self
            .opt_bool(item, "skip-if-unknown-filter")?
            .map(|b| b.value);
        if let Some(e) = item.get("tags") {
            rule.tags = Some(self.seq_of_str(&e.value, "tags")?);
        }
        let append_mode = rule.appends("exceptions");
        rule.exceptions = self.read_exceptions(item, append_mode)?;
        Ok(())
    }

    // ---- exceptions (C.9 shapes) ----

    fn read_exceptions(&mut self, item: &Node, append_mode: bool) -> R<Option<Vec<Exception>>> {
        let Some(e) = item.get("exceptions") else {
            return Ok(None);
        };
        let entries = match &e.value.kind {
            NodeKind::Null => return Ok(Some(Vec::new())),
            NodeKind::Sequence { items, .. } => items,
            _ => {
                return self.fail(
                    "invalid-exception-shape",
                    e.value.span,
                    "Rule exceptions must be a sequence",
                )
            }
        };
        let mut out = Vec::new();
        let mut names: Vec<Str> = Vec::new();
        for n in entries {
            if !matches!(n.kind, NodeKind::Mapping { .. }) {
                return self.fail(
                    "invalid-exception-shape",
                    n.span,
                    "Rule exception must be a mapping",
                );
            }
            let name = self.req_str(n, "name", n.span)?;
            let fields = match n.get("fields") {
                None if !append_mode => {
                    return self.fail(
                        "missing-key",
                        n.span,
                        "Item has no mapping for key 'fields'",
                    )
                }
                None => None,
                Some(f) => self.ex_value(&f.value)?,
            };
            let comps = match n.get("comps") {
                None => None,
                Some(c) => self.ex_value(&c.value)?,
            };
            let (values, values_span) = match n.get("values") {
                None => (None, None),
                Some(v) => match &v.value.kind {
                    NodeKind::Sequence { items, .. } => {
                        let mut vals = Vec::new();
                        for i in items {
                            match self.ex_value(i)? {
                                Some(x) => vals.push(x),
                                None => {
                                    return self.fail(
                                        "invalid-exception-shape",
                                        i.span,
                                        "Value must be non-empty",
                                    )
                                }
                            }
                        }
                        (Some(vals), Some(v.value.span))
                    }
                    _ => {
                        return self.fail(
                            "invalid-exception-shape",
                            v.value.span,
                            "Rule exception values must be a sequence",
                        )
                    }
                },
            };
            if names.contains(&name.value) {
                self.err(
                    "exception-name-not-unique",
                    name.span,
                    format!(
                        "Multiple definitions of exception '{}' in the same rule",
                        name.value
                    ),
                );
            }
            names.push(name.value.clone());
            out.push(Exception {
                name,
                fields,
                comps,
                values,
                values_span,
                span: n.span,
            });
        }
        Ok(Some(out))
    }

    /// A scalar or nested sequence; maps and nulls are "not given".
    fn ex_value(&mut self, node: &Node) -> R<Option<ExValue>> {
        match &node.kind {
            NodeKind::Scalar(s) => {
                if s.value.is_empty() {
                    return self.fail(
                        "invalid-exception-shape",
                        node.span,
                        "Value must be non-empty",
                    );
                }
                Ok(Some(ExValue::Scalar(Text::new(
                    s.value.clone(),
                    node.span,
                    Some(Arc::new(s.clone())),
                ))))
            }
            NodeKind::Sequence { items, .. } => {
                let mut out = Vec::new();
                for i in items {
                    if let Some(v) = self.ex_value(i)? {
                        out.push(v);
                    }
                }
                Ok(Some(ExValue::Seq(out, node.span)))
            }
            _ => Ok(None),
        }
    }
}

/// Trims surrounding whitespace of a text, keeping its map consistent.
fn trim_text(t: &mut Text) {
    let start = t.value.len() - t.value.trim_start().len();
    let trimmed = t.value.trim();
    if trimmed.len() != t.value.len() {
        t.offset += start as u32;
        t.value = trimmed.into();
    }
}

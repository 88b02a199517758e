//! Field resolution (LANGUAGE.md A.8, B.1): from `name[arg]` to a field.
//!
//! The text is offered to the field classes in libsinsp's order: the
//! built-in classes (gen_event, event, thread, user, group, fd, fs.path,
//! utils, fdlist — only gen_event for non-syscall sources), then the
//! classes of the loaded plugins in load order. The first class that
//! claims a prefix of the text decides: if what it consumed is not the
//! whole text, the field is unknown (no later class is tried), except that
//! a plugin class declines a text whose `[` does not follow its field name.
//! Classes decode arguments and dot suffixes with their own rules and
//! may raise their own errors (`unknown event argument X`, ...).

use crate::generated::{FIELDS, FIELD_PREFIX_PARENT};
use crate::types::{ArgKind, CheckClass, EventParamName, FieldInfo, FieldType};
use crate::values::{scan_signed, scan_unsigned};
use crate::Catalog;
use std::fmt;

/// Which fields are visible: those of an event source, given a set of
/// loaded plugins.
///
/// Built-in fields of `source` (`syscall` fields for `syscall`) and the
/// source-agnostic `*` fields are visible, plus the fields of the plugins in
/// `plugins` whose source is `source` or `*`. Plugin names may be flavour
/// names (`k8saudit-eks`). Falco's default installation loads the
/// `container` plugin ([`crate::DEFAULT_PLUGINS`]); the caller decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldScope<'a> {
    pub source: &'a str,
    pub plugins: &'a [&'a str],
    /// Fields imported from a real Falco's list (`falco --list --format
    /// json`), consulted after ours.
    pub imported: Option<&'a crate::ImportedCatalog>,
}

impl<'a> FieldScope<'a> {
    pub const fn new(source: &'a str, plugins: &'a [&'a str]) -> FieldScope<'a> {
        FieldScope {
            source,
            plugins,
            imported: None,
        }
    }

    /// The same scope with imported fields.
    pub const fn with_imported(
        mut self,
        imported: Option<&'a crate::ImportedCatalog>,
    ) -> FieldScope<'a> {
        self.imported = imported;
        self
    }

    /// The `syscall` source with the given plugins.
    pub const fn syscall(plugins: &'a [&'a str]) -> FieldScope<'a> {
        FieldScope {
            source: "syscall",
            plugins,
            imported: None,
        }
    }

    /// The `syscall` source with Falco's default plugins (`container`).
    pub const fn falco_default() -> FieldScope<'static> {
        FieldScope {
            source: "syscall",
            plugins: crate::DEFAULT_PLUGINS,
            imported: None,
        }
    }

    /// Whether the plugin (canonical name) is loaded in this scope.
    pub fn has_plugin(&self, plugin: &str) -> bool {
        self.plugins
            .iter()
            .any(|p| *p == plugin || canonical_plugin(p) == Some(plugin))
    }

    /// Whether `field` is visible in this scope.
    pub fn sees(&self, field: &FieldInfo) -> bool {
        let source_ok = field.source == "*" || field.source == self.source;
        match field.plugin {
            None => source_ok,
            Some(p) => source_ok && self.has_plugin(p),
        }
    }
}

fn canonical_plugin(name: &str) -> Option<&'static str> {
    Catalog.plugin(name).map(|p| p.name)
}

/// The decoded argument of a resolved field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResolvedArg {
    /// No argument (`proc.aname`: any ancestor).
    None,
    /// A number: `proc.aname[2]`, `evt.arg[0]`, `fd.types[1]`, `proc.env[3]`.
    Index(i64),
    /// A name: `proc.env[HOME]`, `thread.cgroup.cpuacct`, `evt.abspath.src`.
    Key(String),
    /// An event parameter: `evt.arg.flags`, `evt.rawarg.res`.
    EventParam(&'static EventParamName),
    /// `evt.type.is.N`.
    EventTypeCode(u32),
    /// `evt.type.is.NAME`, with the first code of that name.
    EventTypeName { name: &'static str, code: u16 },
    /// `evt.around[N]`.
    Timestamp(u64),
    /// A plugin field argument: the text, and its value as an index when
    /// the field takes indexes and the text is a valid one.
    Plugin { raw: String, index: Option<u64> },
}

/// A successfully resolved field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub field: &'static FieldInfo,
    /// The effective type: the field's type, except `evt.rawarg.<p>`, which
    /// takes the type of the first event parameter named `p`.
    pub ty: FieldType,
    pub is_list: bool,
    pub arg: ResolvedArg,
}

impl Resolved {
    pub fn arg_type(&self) -> crate::ArgType {
        crate::ArgType::new(self.ty, self.is_list)
    }
}

/// Why an unknown field is unknown, when we can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnknownHint {
    /// The name is a field of this plugin, which is not loaded.
    PluginNotLoaded(&'static str),
    /// The name is a field of another event source.
    OtherSource(&'static str),
    /// The name is a known, visible field, but the argument or suffix is
    /// not one it accepts (`proc.name[1]`, `proc.aname[x]`).
    BadArgument(&'static str),
}

/// A resolution failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// No field class claims the text:
    /// `filter_check called with nonexistent field <text>`. This is what
    /// `skip-if-unknown-filter` skips.
    Unknown {
        text: String,
        hint: Option<UnknownHint>,
    },
    /// A field class rejected the suffix or argument with its own message
    /// (`unknown event argument foo`, `x is not a valid number`, ...).
    /// Not an "unknown field" for `skip-if-unknown-filter`.
    Invalid { text: String, message: String },
}

impl ResolveError {
    /// The libsinsp message.
    pub fn message(&self) -> String {
        match self {
            ResolveError::Unknown { text, .. } => {
                format!("filter_check called with nonexistent field {text}")
            }
            ResolveError::Invalid { message, .. } => message.clone(),
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, ResolveError::Unknown { .. })
    }

    /// The text that was resolved (`name[arg]`).
    pub fn text(&self) -> &str {
        match self {
            ResolveError::Unknown { text, .. } | ResolveError::Invalid { text, .. } => text,
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ResolveError {}

enum Outcome {
    /// The class does not know the text; try the next one.
    NoMatch,
    /// The class consumed `len` bytes.
    Consumed {
        len: usize,
        field: usize,
        arg: ResolvedArg,
        ty: Option<FieldType>,
    },
    Error(String),
}

fn consumed(len: usize, field: usize, arg: ResolvedArg) -> Outcome {
    Outcome::Consumed {
        len,
        field,
        arg,
        ty: None,
    }
}

fn idx(name: &str) -> usize {
    Catalog
        .field_index(name)
        .unwrap_or_else(|| panic!("catalog lacks built-in field {name}"))
}

/// Field indices whose names are prefixes of `text`, longest first.
#[inline]
fn prefix_matches(text: &str) -> ([u16; 16], usize) {
    let mut out = [0u16; 16];
    let n = crate::field_names().prefixes_of(text, &FIELD_PREFIX_PARENT, &mut out);
    (out, n)
}

impl Catalog {
    /// Resolves a field as written in a condition: `name` plus the
    /// optional bracket argument (already unquoted). As libsinsp does, the
    /// two are re-joined as `name[arg]` and resolved as one text.
    pub fn resolve(
        &self,
        name: &str,
        arg: Option<&str>,
        scope: &FieldScope<'_>,
    ) -> Result<Resolved, ResolveError> {
        match arg {
            None => self.resolve_text(name, scope),
            Some(a) => {
                let mut t = String::with_capacity(name.len() + a.len() + 2);
                t.push_str(name);
                t.push('[');
                t.push_str(a);
                t.push(']');
                self.resolve_text(&t, scope)
            }
        }
    }

    /// Resolves an already joined text (`proc.aname[2]`, `evt.arg.flags`).
    pub fn resolve_text(
        &self,
        text: &str,
        scope: &FieldScope<'_>,
    ) -> Result<Resolved, ResolveError> {
        let (m, n) = prefix_matches(text);
        let matches = &m[..n];
        let syscall = scope.source == "syscall";
        let libs: &[CheckClass] = if syscall {
            &CheckClass::LIBS_ORDER
        } else {
            &CheckClass::LIBS_ORDER[..1]
        };

        let mut outcome = Outcome::NoMatch;
        for &cc in libs {
            let longest = matches
                .iter()
                .map(|&i| i as usize)
                .find(|&i| FIELDS[i].check_class == cc);
            let triggered =
                longest.is_some() || (cc == CheckClass::Thread && text.starts_with("arg"));
            if !triggered {
                continue;
            }
            outcome = match cc {
                CheckClass::Event => event_class(text, longest),
                CheckClass::Thread => thread_class(text, longest),
                CheckClass::Fd => fd_class(text, longest),
                _ => generic(longest),
            };
            if !matches!(outcome, Outcome::NoMatch) {
                break;
            }
        }
        if matches!(outcome, Outcome::NoMatch) {
            let mut seen: [&str; 16] = [""; 16];
            let mut nseen = 0;
            for p in scope.plugins {
                let Some(info) = self.plugin(p) else { continue };
                if seen[..nseen].contains(&info.name) {
                    continue;
                }
                if nseen < seen.len() {
                    seen[nseen] = info.name;
                    nseen += 1;
                }
                if !info
                    .field_sources
                    .iter()
                    .any(|s| *s == "*" || *s == scope.source)
                {
                    continue;
                }
                let longest = matches
                    .iter()
                    .map(|&i| i as usize)
                    .find(|&i| FIELDS[i].plugin == Some(info.name));
                outcome = plugin_class(text, longest);
                if !matches!(outcome, Outcome::NoMatch) {
                    break;
                }
            }
        }

        if matches!(outcome, Outcome::NoMatch) {
            if let Some(r) = scope
                .imported
                .and_then(|imp| imp.resolve_text(text, scope.source))
            {
                return r;
            }
        }
        match outcome {
            Outcome::Consumed {
                len,
                field,
                arg,
                ty,
            } if len == text.len() => {
                let f = &FIELDS[field];
                Ok(Resolved {
                    field: f,
                    ty: ty.unwrap_or(f.ty),
                    is_list: f.is_list,
                    arg,
                })
            }
            Outcome::Error(message) => Err(ResolveError::Invalid {
                text: text.to_string(),
                message,
            }),
            _ => Err(ResolveError::Unknown {
                text: text.to_string(),
                hint: self.unknown_hint(text, scope),
            }),
        }
    }

    fn unknown_hint(&self, text: &str, scope: &FieldScope<'_>) -> Option<UnknownHint> {
        let name = match text.find('[') {
            Some(p) => &text[..p],
            None => text,
        };
        let f = match self.field(name) {
            Some(f) => f,
            None => {
                // `proc.name.x`-like: the longest field that is a prefix.
                let (m, n) = prefix_matches(name);
                if n == 0 {
                    return None;
                }
                &FIELDS[m[0] as usize]
            }
        };
        if scope.sees(f) {
            return Some(UnknownHint::BadArgument(f.name));
        }
        match f.plugin {
            Some(p) if !scope.has_plugin(p) => Some(UnknownHint::PluginNotLoaded(p)),
            _ => Some(UnknownHint::OtherSource(f.source)),
        }
    }
}

fn generic(longest: Option<usize>) -> Outcome {
    match longest {
        Some(i) => consumed(FIELDS[i].name.len(), i, ResolvedArg::None),
        None => Outcome::NoMatch,
    }
}

fn at(text: &str, i: usize) -> Option<u8> {
    text.as_bytes().get(i).copied()
}

fn syntax_error(text: &str) -> Outcome {
    Outcome::Error(format!("filter syntax error: {text}"))
}

fn not_a_number(s: &str) -> Outcome {
    Outcome::Error(format!("{s} is not a valid number"))
}

/// The number text between `base[` and the first `]` of the text (or the
/// rest of the text when there is no `]`), and the consumed length (0 when
/// there is no `]`, as libsinsp's 32-bit length wraps).
fn bracket_number<'a>(text: &'a str, base: &str) -> (&'a str, usize) {
    let start = base.len() + 1;
    match text.find(']') {
        Some(p) if p >= start => (&text[start..p], p + 1),
        Some(_) => ("", 0),
        None => (&text[start..], 0),
    }
}

/// The event class: `evt.arg`, `evt.rawarg`, `evt.around`, `evt.abspath`,
/// `evt.type.is` decode their suffixes; the rest is generic.
fn event_class(text: &str, longest: Option<usize>) -> Outcome {
    if text.starts_with("evt.arg") && !text.starts_with("evt.args") {
        evt_arg(text, "evt.arg", false)
    } else if text.starts_with("evt.rawarg") {
        evt_arg(text, "evt.rawarg", true)
    } else if text.starts_with("evt.around") {
        let base = "evt.around";
        let field = idx(base);
        match at(text, base.len()) {
            Some(b'[') => {
                let (num, len) = bracket_number(text, base);
                match scan_unsigned(num.as_bytes(), 64) {
                    Some(v) => consumed(len, field, ResolvedArg::Timestamp(v)),
                    None => not_a_number(num),
                }
            }
            Some(b'.') => Outcome::Error("wrong syntax for evt.around".to_string()),
            _ => syntax_error(text),
        }
    } else if text.starts_with("evt.latency") {
        generic(longest)
    } else if text.starts_with("evt.abspath") {
        let field = idx("evt.abspath");
        if text.starts_with("evt.abspath.src") {
            consumed(15, field, ResolvedArg::Key("src".into()))
        } else if text.starts_with("evt.abspath.dst") {
            consumed(15, field, ResolvedArg::Key("dst".into()))
        } else {
            consumed(11, field, ResolvedArg::None)
        }
    } else if text.starts_with("evt.type.is") {
        let field = idx("evt.type.is");
        if at(text, 11) == Some(b'.') {
            let itype = &text[12..];
            if let Some(n) = scan_unsigned(itype.as_bytes(), 32) {
                return consumed(text.len(), field, ResolvedArg::EventTypeCode(n as u32));
            }
            match Catalog.event_name_first_code(itype) {
                Some((name, code)) => consumed(
                    12 + name.len(),
                    field,
                    ResolvedArg::EventTypeName { name, code },
                ),
                None => consumed(0, field, ResolvedArg::None),
            }
        } else {
            syntax_error(text)
        }
    } else {
        generic(longest)
    }
}

fn evt_arg(text: &str, base: &str, raw: bool) -> Outcome {
    let field = idx(base);
    match at(text, base.len()) {
        Some(b'[') => {
            if raw {
                return Outcome::Error("evt.arg fields must be expressed explicitly".into());
            }
            let (num, len) = bracket_number(text, base);
            match scan_signed(num.as_bytes(), 32) {
                Some(v) => consumed(len, field, ResolvedArg::Index(v)),
                None => not_a_number(num),
            }
        }
        Some(b'.') => {
            let suffix = &text[base.len() + 1..];
            match Catalog.longest_event_param(suffix) {
                None => Outcome::Error(format!("unknown event argument {suffix}")),
                Some(p) => Outcome::Consumed {
                    len: base.len() + 1 + p.name.len(),
                    field,
                    arg: ResolvedArg::EventParam(p),
                    ty: raw.then_some(p.first_type),
                },
            }
        }
        _ => syntax_error(text),
    }
}

/// The thread class: ancestor fields, `proc.args`, `proc.env`,
/// `proc.aenv` and `thread.cgroup` decode arguments; the rest is generic.
fn thread_class(text: &str, longest: Option<usize>) -> Outcome {
    if text.starts_with("arg") {
        return Outcome::Error("filter error: proc.arg filter not implemented yet".into());
    }
    for base in [
        "proc.apid",
        "proc.aname",
        "proc.aexepath",
        "proc.aexe",
        "proc.acmdline",
        "proc.aargs",
    ] {
        if text.starts_with(base) {
            return index_arg(text, base);
        }
    }
    if text.starts_with("proc.env") {
        return env_arg(text, "proc.env");
    }
    if text.starts_with("proc.args") {
        return index_arg(text, "proc.args");
    }
    if text.starts_with("proc.aenv") {
        return env_arg(text, "proc.aenv");
    }
    if text.starts_with("thread.cgroup") && !text.starts_with("thread.cgroups") {
        let base = "thread.cgroup";
        let field = idx(base);
        if at(text, base.len()) != Some(b'.') {
            return syntax_error(text);
        }
        let start = base.len() + 1;
        let end = start
            + text.as_bytes()[start..]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic() || **b == b'_')
                .count();
        return consumed(end, field, ResolvedArg::Key(text[start..end].to_string()));
    }
    generic(longest)
}

/// `base` or `base[N]` (N a 32-bit integer); anything else consumes just
/// `base` (libsinsp swallows the error), so the text is then unknown.
fn index_arg(text: &str, base: &str) -> Outcome {
    let field = idx(base);
    if at(text, base.len()) == Some(b'[') {
        if let Some(p) = text.find(']') {
            if p > base.len() {
                let num = &text[base.len() + 1..p];
                if let Some(v) = scan_signed(num.as_bytes(), 32) {
                    return consumed(p + 1, field, ResolvedArg::Index(v));
                }
            }
        }
    }
    consumed(base.len(), field, ResolvedArg::None)
}

/// `base`, `base[KEY]` or `base[N]` (all digits).
fn env_arg(text: &str, base: &str) -> Outcome {
    let field = idx(base);
    if at(text, base.len()) == Some(b'[') {
        if let Some(rel) = text[base.len()..].find(']') {
            let p = base.len() + rel;
            let key = &text[base.len() + 1..p];
            let arg = if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
                ResolvedArg::Index(scan_signed(key.as_bytes(), 32).unwrap_or(0))
            } else {
                ResolvedArg::Key(key.to_string())
            };
            return consumed(p + 1, field, arg);
        }
    }
    consumed(base.len(), field, ResolvedArg::None)
}

/// The fd class: `fd.types[N]` (64-bit index); the rest is generic.
fn fd_class(text: &str, longest: Option<usize>) -> Outcome {
    if text.starts_with("fd.types") {
        let base = "fd.types";
        let field = idx(base);
        if at(text, base.len()) == Some(b'[') {
            let (num, len) = bracket_number(text, base);
            return match scan_signed(num.as_bytes(), 64) {
                None => not_a_number(num),
                Some(v) if len != 0 => consumed(len, field, ResolvedArg::Index(v)),
                Some(_) => consumed(base.len(), field, ResolvedArg::None),
            };
        }
        return consumed(base.len(), field, ResolvedArg::None);
    }
    generic(longest)
}

/// A plugin class: longest field name, then a bracket argument checked
/// against the field's argument flags.
fn plugin_class(text: &str, longest: Option<usize>) -> Outcome {
    let Some(i) = longest else {
        return Outcome::NoMatch;
    };
    match plugin_field(text, &FIELDS[i]) {
        Ok(Some((len, arg))) => consumed(len, i, arg),
        Ok(None) => Outcome::NoMatch,
        Err(message) => Outcome::Error(message),
    }
}

/// How a plugin field `f` reads `text` (which starts with its name): the
/// bytes consumed and the argument, `None` when the name is followed by
/// something else than `[`, or libsinsp's message for a bad argument.
pub(crate) fn plugin_field(
    text: &str,
    f: &FieldInfo,
) -> Result<Option<(usize, ResolvedArg)>, String> {
    let name = f.name;
    let mut res = name.len();
    let val = match text.find(' ') {
        Some(p) => &text[..p],
        None => text,
    };
    let val = val.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let mut arg = ResolvedArg::None;
    let mut arg_present = false;
    if let Some(ap) = val.find('[') {
        if res != ap {
            return Ok(None);
        }
        let argstart = ap + 1;
        if argstart >= val.len() {
            return Err(format!(
                "filter '{val}': {name} terminates with incomplete argument brackets"
            ));
        }
        let rest = &val[argstart..];
        let Some(al) = rest.find(']') else {
            return Err(format!(
                "filter '{val}': {name} has unbalanced argument brackets"
            ));
        };
        let raw = &rest[..al];
        arg_present = true;
        if !f.accepts_arg() {
            return Err(format!(
                "filter '{val}': {name} does not allow nor require an argument but one is provided: {raw}"
            ));
        }
        let takes_index = matches!(f.arg_kind, Some(ArgKind::Index | ArgKind::IndexOrKey));
        let takes_key = matches!(f.arg_kind, Some(ArgKind::Key | ArgKind::IndexOrKey));
        let mut index = None;
        if takes_index {
            match plugin_index(raw) {
                Ok(v) => index = Some(v),
                Err(msg) if !takes_key => {
                    return Err(format!("filter {val} {name}{msg}{raw}"));
                }
                Err(_) => {}
            }
        }
        arg = ResolvedArg::Plugin {
            raw: raw.to_string(),
            index,
        };
        res = ap + al + 2;
    }
    if !arg_present && f.requires_arg() {
        return Err(format!(
            "filter '{val}': {name} requires an argument but none provided"
        ));
    }
    Ok(Some((res, arg)))
}

fn plugin_index(arg: &str) -> Result<u64, &'static str> {
    let b = arg.as_bytes();
    let mut msg = None;
    if b.is_empty() || (b.len() > 1 && b[0] == b'0') {
        msg = Some(" has an invalid index argument starting with 0: ");
    }
    if !b.iter().all(u8::is_ascii_digit) {
        msg = Some(" has an invalid index argument not composed only by digits: ");
    }
    if let Some(m) = msg {
        return Err(m);
    }
    arg.parse::<u64>()
        .map_err(|_| " has an invalid index argument not representable on 64 bit: ")
}

//! The evaluator: conditions compiled from the analysis's expanded trees
//! into a tree of checks over *slots*, and the per-event cache of slot
//! values.
//!
//! A slot is one distinct value source: a field (`proc.name`,
//! `proc.aname[2]`), a transformer call (`tolower(proc.name)`), a
//! constant transformer argument or a transformer list. Slots are shared
//! by every condition and output compiled into the same [`Program`], and
//! deduplicated by their text, so a field used by fifty rules is
//! extracted once per event ([`Frame`] caches each slot's values for the
//! current event and is invalidated by bumping an epoch, without
//! clearing anything).
//!
//! Constants are parsed once at compile time with the catalog's
//! [`parse_value`] (the same type extraction produces), `in`/`intersects`
//! and `== anyof`/`!= allof` constants go into hashed [`ValueSet`]s,
//! `pmatch` constants into a [`PathSet`], `regex` constants into compiled
//! linear-time regexes.
//!
//! Extraction itself is outside: evaluation calls back with the index of
//! a field in [`Program::fields`] and a buffer to fill, so the same
//! program runs over the real extractors and over test doubles.

use falconer_catalog::{
    catalog, parse_value, FieldScope, FieldType, ParsedValue, PrintFormat, Resolved, ResolvedArg,
};
use falconer_syntax::ast::{
    Expr, FieldRef, Lhs, Modifier, OpKind, Rhs, Transformer, TransformerArg, TransformerKind, Value,
};
use falconer_syntax::print_lhs;
use rustc_hash::FxHashMap;

use crate::pmatch::PathSet;
use crate::transform;
use crate::value::{compare, cstr, eq_only, ValueMap, ValueSet};

pub type SlotId = u32;

/// How the values of a non-list field are compared (libsinsp's
/// field-specific `compare` overrides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Multi {
    /// One value (the first, if an extractor gives more).
    Single,
    /// Ancestor fields without an index (`proc.aname`, `proc.apid`...):
    /// true when any value satisfies the comparison, `!=` included.
    Any,
    /// Endpoint fields (`fd.ip`, `fd.port`, `fd.proto`, `fd.net`): either
    /// endpoint for every operator but `!=`, which needs both.
    Endpoints,
}

#[derive(Clone, Debug)]
pub enum SlotKind {
    /// A field: index into [`Program::fields`].
    Field(usize),
    /// A constant (quoted string or number transformer argument).
    Const(Vec<ParsedValue>),
    /// A transformer list `(a, b, ...)`: the values of every element, in
    /// order; fails if an element fails.
    List(Vec<SlotId>),
    Unary {
        kind: TransformerKind,
        arg: SlotId,
        input_list: bool,
    },
    Join {
        sep: SlotId,
        list: SlotId,
    },
    Concat(Vec<SlotId>),
    Getopt {
        argv: SlotId,
        optstring: SlotId,
        select: Option<u8>,
    },
}

#[derive(Clone, Debug)]
pub struct Slot {
    pub kind: SlotKind,
    /// The expression text (`proc.name`, `tolower(proc.name)`): the key
    /// of an output field.
    pub name: String,
    /// Type after transformers.
    pub ty: FieldType,
    pub is_list: bool,
    pub print_format: PrintFormat,
    pub multi: Multi,
    /// A transformer is involved (Falco leaves these out of JSON output
    /// fields).
    pub transformed: bool,
}

/// Compiled constants of one check.
#[derive(Debug)]
pub struct Consts {
    pub values: Vec<ParsedValue>,
    pub set: Option<ValueSet>,
    pub paths: Option<PathSet>,
    pub regexes: Vec<regex::Regex>,
}

#[derive(Debug)]
pub enum RhsKind {
    /// `exists`.
    None,
    Consts(Box<Consts>),
    /// `val(f)` or a transformer on the right.
    Slot(SlotId),
}

#[derive(Debug)]
pub struct Check {
    pub lhs: SlotId,
    pub op: OpKind,
    pub modifier: Option<Modifier>,
    pub is_list: bool,
    pub ty: FieldType,
    pub multi: Multi,
    pub rhs: RhsKind,
}

/// A node of a compiled condition: an index into [`Program::nodes`].
pub type NodeId = u32;

/// A compiled condition node. Nodes are hash-consed: an identical
/// sub-condition (the same macro expanded in many rules, the same check
/// written twice) is one node, evaluated at most once per event.
#[derive(Debug)]
pub enum NodeDef {
    And(Vec<NodeId>),
    Or(Vec<NodeId>),
    Not(NodeId),
    Check(Box<Check>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NodeKey {
    And(Vec<NodeId>),
    Or(Vec<NodeId>),
    Not(NodeId),
    /// lhs slot, operator, modifier, right-hand side (constant bytes or
    /// a slot).
    Check(SlotId, OpKind, Option<Modifier>, RhsKey),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RhsKey {
    None,
    Consts(Vec<Vec<u8>>),
    Slot(SlotId),
}

/// Slots and fields shared by the conditions and outputs compiled into it.
#[derive(Debug, Default)]
pub struct Program {
    pub slots: Vec<Slot>,
    /// Distinct resolved fields, in first-use order.
    pub fields: Vec<Resolved>,
    /// Their texts (`proc.aname[2]`), same order.
    pub field_names: Vec<String>,
    /// Condition nodes (see [`NodeDef`]).
    pub nodes: Vec<NodeDef>,
    /// Set checks answered together ([`Program::group_sets`]).
    groups: Vec<SetGroup>,
    /// Per node: its index in `groups`, or [`NO_GROUP`] (empty until
    /// [`Program::group_sets`]).
    group_of: Vec<u32>,
    /// Per grouped node: its position among its group's members.
    group_pos: Vec<u32>,
    by_name: FxHashMap<String, SlotId>,
    field_by_name: FxHashMap<String, usize>,
    node_by_key: FxHashMap<NodeKey, NodeId>,
}

/// Not in a [`SetGroup`].
const NO_GROUP: u32 = u32::MAX;

/// The flag of a group's unit ([`Program::unit_of`]).
const GROUP_UNIT: u32 = 1 << 31;

/// The checks `slot in (constants)` (or `intersects`) over one slot
/// whose constants are all hashed, answered together: one lookup of the
/// slot's value gives the result of every member, so rules whose lists
/// differ (copies, per-rule exceptions) hash a value once per event
/// instead of once per list. The results are those of [`Frame`]'s
/// check of each member: a member holds a value iff its [`ValueSet`]
/// does (same keys, [`ValueMap`]).
#[derive(Debug)]
pub struct SetGroup {
    lhs: SlotId,
    op: OpKind,
    /// The member check nodes.
    members: Vec<NodeId>,
    /// Per constant of any member: its row in `rows`.
    index: ValueMap<u32>,
    /// `words` words a row: bit `k` set if member `k` holds the constant.
    rows: Vec<u64>,
    words: usize,
}

impl SetGroup {
    /// The members holding `v` (`None`: none does).
    #[inline]
    fn row(&self, v: &ParsedValue) -> Option<&[u64]> {
        let r = *self.index.get(v)? as usize * self.words;
        Some(&self.rows[r..r + self.words])
    }
}

/// A compile error: libsinsp-style message.
pub type CompileError = String;

impl Program {
    pub fn new() -> Program {
        Program::default()
    }

    /// Sets how the values of field `field` compare (the extractor knows
    /// best: see `FieldExtractor::multi`).
    pub fn set_field_multi(&mut self, field: usize, multi: Multi) {
        for s in self.slots.iter_mut() {
            if matches!(s.kind, SlotKind::Field(f) if f == field) {
                s.multi = multi;
            }
        }
    }

    /// Groups the set checks over the same slot ([`SetGroup`]), once every
    /// condition is compiled; checks compiled later are not grouped.
    pub fn group_sets(&mut self) {
        let mut by_key: FxHashMap<(SlotId, OpKind), usize> = FxHashMap::default();
        let mut members: Vec<Vec<NodeId>> = Vec::new();
        for (n, def) in self.nodes.iter().enumerate() {
            let NodeDef::Check(c) = def else { continue };
            let hashed = match &c.rhs {
                RhsKind::Consts(k) => k.set.as_ref().is_some_and(|s| s.is_hashed()),
                _ => false,
            };
            if !hashed || c.modifier.is_some() || !matches!(c.op, OpKind::In | OpKind::Intersects) {
                continue;
            }
            let g = *by_key.entry((c.lhs, c.op)).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[g].push(n as NodeId);
        }
        self.groups.clear();
        self.group_of = vec![NO_GROUP; self.nodes.len()];
        self.group_pos = vec![0; self.nodes.len()];
        for m in members.into_iter().filter(|m| m.len() > 1) {
            let words = m.len().div_ceil(64);
            let mut index: ValueMap<u32> = ValueMap::default();
            let mut rows: Vec<u64> = Vec::new();
            let (mut lhs, mut op) = (0, OpKind::In);
            for (k, &n) in m.iter().enumerate() {
                self.group_of[n as usize] = self.groups.len() as u32;
                self.group_pos[n as usize] = k as u32;
                let NodeDef::Check(c) = &self.nodes[n as usize] else {
                    continue;
                };
                (lhs, op) = (c.lhs, c.op);
                let RhsKind::Consts(consts) = &c.rhs else {
                    continue;
                };
                for v in &consts.values {
                    let next = (rows.len() / words) as u32;
                    if let Some(&mut r) = index.entry(v, || next) {
                        if r == next {
                            rows.resize(rows.len() + words, 0);
                        }
                        rows[r as usize * words + k / 64] |= 1 << (k % 64);
                    }
                }
            }
            self.groups.push(SetGroup {
                lhs,
                op,
                members: m,
                index,
                rows,
                words,
            });
        }
    }

    /// The unit check node `node` is evaluated in: its set group
    /// (`GROUP_UNIT | group`) or itself (see [`Frame::fresh`]).
    pub fn unit_of(&self, node: NodeId) -> u32 {
        match self.group_of.get(node as usize) {
            Some(&g) if g != NO_GROUP => GROUP_UNIT | g,
            _ => node,
        }
    }

    /// The set group of a unit ([`Program::unit_of`]), if it is one.
    #[inline]
    pub fn unit_group(unit: u32) -> Option<usize> {
        (unit & GROUP_UNIT != 0).then_some((unit & !GROUP_UNIT) as usize)
    }

    /// The position of grouped check node `node` among its group's
    /// members (its bit in [`Frame::group_results`]).
    pub fn group_position(&self, node: NodeId) -> u32 {
        self.group_pos.get(node as usize).copied().unwrap_or(0)
    }

    /// Whether check node `node` is answered with its set group.
    pub fn is_grouped(&self, node: NodeId) -> bool {
        self.group_of(node).is_some()
    }

    /// The set group of check node `node`, if any.
    #[inline]
    fn group_of(&self, node: NodeId) -> Option<&SetGroup> {
        let g = *self.group_of.get(node as usize)?;
        self.groups.get(g as usize)
    }

    fn node(&mut self, key: NodeKey, def: impl FnOnce() -> NodeDef) -> NodeId {
        if let Some(&id) = self.node_by_key.get(&key) {
            return id;
        }
        let id = self.nodes.len() as NodeId;
        self.nodes.push(def());
        self.node_by_key.insert(key, id);
        id
    }

    /// Compiles a fully expanded condition (no macro references left).
    pub fn compile(&mut self, expr: &Expr, scope: &FieldScope<'_>) -> Result<NodeId, CompileError> {
        Ok(match expr {
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                let ids: Vec<NodeId> = children
                    .iter()
                    .map(|c| self.compile(c, scope))
                    .collect::<Result<_, _>>()?;
                if matches!(expr, Expr::And { .. }) {
                    self.node(NodeKey::And(ids.clone()), || NodeDef::And(ids))
                } else {
                    self.node(NodeKey::Or(ids.clone()), || NodeDef::Or(ids))
                }
            }
            Expr::Not { child, .. } => {
                let c = self.compile(child, scope)?;
                self.node(NodeKey::Not(c), || NodeDef::Not(c))
            }
            Expr::Macro(n) => {
                return Err(format!("filter error: unexpected identifier '{}'", n.text))
            }
            Expr::Error { .. } => return Err("the condition does not parse".into()),
            Expr::Unary { lhs, .. } => {
                let id = self.lhs(lhs, scope)?;
                let s = &self.slots[id as usize];
                let check = Check {
                    lhs: id,
                    op: OpKind::Exists,
                    modifier: None,
                    is_list: s.is_list,
                    ty: s.ty,
                    multi: s.multi,
                    rhs: RhsKind::None,
                };
                self.node(
                    NodeKey::Check(id, OpKind::Exists, None, RhsKey::None),
                    || NodeDef::Check(Box::new(check)),
                )
            }
            Expr::Binary { lhs, op, rhs, .. } => {
                let id = self.lhs(lhs, scope)?;
                let (ty, is_list, multi, field_name) = {
                    let s = &self.slots[id as usize];
                    (s.ty, s.is_list, s.multi, s.name.clone())
                };
                let modifier = op.modifier.map(|(m, _)| m);
                let ident;
                let items: &[Value] = match rhs {
                    Rhs::Value(v) => std::slice::from_ref(v),
                    Rhs::List(l) => &l.items,
                    Rhs::Ident(n) => {
                        ident = Value {
                            text: n.text.clone(),
                            bytes: None,
                            quoted: None,
                            span: n.span,
                        };
                        std::slice::from_ref(&ident)
                    }
                    _ => &[],
                };
                let (rhs, rkey) = match rhs {
                    Rhs::Val { field, .. } => {
                        let r = self.field(field, scope)?;
                        (RhsKind::Slot(r), RhsKey::Slot(r))
                    }
                    Rhs::Transformer(t) => {
                        let r = self.transformer(t, scope)?;
                        (RhsKind::Slot(r), RhsKey::Slot(r))
                    }
                    _ => (
                        self.consts(ty, op.kind, modifier, items)?,
                        RhsKey::Consts(items.iter().map(|v| v.as_bytes().to_vec()).collect()),
                    ),
                };
                let mut check = Check {
                    lhs: id,
                    op: op.kind,
                    modifier,
                    is_list,
                    ty,
                    multi,
                    rhs,
                };
                // libsinsp compares `fd.net ... in (...)` with the first
                // network only (its network comparison reads one value).
                if field_name == "fd.net" {
                    if let RhsKind::Consts(c) = &mut check.rhs {
                        c.values.truncate(1);
                        c.set = c.set.as_ref().map(|_| ValueSet::new(&c.values));
                    }
                }
                // `=` and `==` are the same operator.
                let kop = if op.kind == OpKind::EqEq {
                    OpKind::Eq
                } else {
                    op.kind
                };
                self.node(NodeKey::Check(id, kop, modifier, rkey), || {
                    NodeDef::Check(Box::new(check))
                })
            }
        })
    }

    fn consts(
        &mut self,
        ty: FieldType,
        op: OpKind,
        modifier: Option<Modifier>,
        items: &[Value],
    ) -> Result<RhsKind, CompileError> {
        let mut values = Vec::with_capacity(items.len());
        let mut regexes = Vec::new();
        for v in items {
            let parsed = parse_value(ty, op, v.as_bytes()).map_err(|e| {
                if e.starts_with("filter error") {
                    e
                } else {
                    format!("filter error: {e}")
                }
            })?;
            if op == OpKind::Regex {
                regexes.push(compile_regex(&v.text)?);
            }
            values.push(parsed);
        }
        let hashed = matches!(op, OpKind::In | OpKind::Intersects)
            || (modifier == Some(Modifier::Anyof) && matches!(op, OpKind::Eq | OpKind::EqEq))
            || (modifier == Some(Modifier::Allof) && op == OpKind::Ne);
        let set = (hashed && !eq_only(ty)).then(|| ValueSet::new(&values));
        let paths = (op == OpKind::Pmatch && !eq_only(ty)).then(|| {
            let mut p = PathSet::new();
            for v in &values {
                if let ParsedValue::Str(b) | ParsedValue::Bytes(b) = v {
                    p.insert(cstr(b));
                }
            }
            p
        });
        Ok(RhsKind::Consts(Box::new(Consts {
            values,
            set,
            paths,
            regexes,
        })))
    }

    /// The slot of a left-hand side (a field or a transformer call).
    pub fn lhs(&mut self, lhs: &Lhs, scope: &FieldScope<'_>) -> Result<SlotId, CompileError> {
        match lhs {
            Lhs::Field(f) => self.field(f, scope),
            Lhs::Transformer(t) => self.transformer(t, scope),
        }
    }

    fn push(&mut self, slot: Slot) -> SlotId {
        let id = self.slots.len() as SlotId;
        self.by_name.insert(slot.name.clone(), id);
        self.slots.push(slot);
        id
    }

    /// The slot of a field.
    pub fn field(&mut self, f: &FieldRef, scope: &FieldScope<'_>) -> Result<SlotId, CompileError> {
        let name = f.joined();
        if let Some(&id) = self.by_name.get(&name) {
            return Ok(id);
        }
        let r = catalog()
            .resolve(&f.name, f.arg.as_ref().map(|a| a.value.as_str()), scope)
            .map_err(|e| e.message())?;
        let multi = multi_of(&r);
        let index = match self.field_by_name.get(&name) {
            Some(&i) => i,
            None => {
                self.fields.push(r.clone());
                self.field_names.push(name.clone());
                self.field_by_name
                    .insert(name.clone(), self.fields.len() - 1);
                self.fields.len() - 1
            }
        };
        Ok(self.push(Slot {
            kind: SlotKind::Field(index),
            name,
            ty: r.ty,
            is_list: r.is_list,
            print_format: r.field.print_format,
            multi,
            transformed: false,
        }))
    }

    fn transformer(
        &mut self,
        t: &Transformer,
        scope: &FieldScope<'_>,
    ) -> Result<SlotId, CompileError> {
        let name = print_lhs(&Lhs::Transformer(t.clone()));
        if let Some(&id) = self.by_name.get(&name) {
            return Ok(id);
        }
        let args: Vec<SlotId> = t
            .args
            .iter()
            .map(|a| self.targ(a, scope))
            .collect::<Result<_, _>>()?;
        let first = *args.first().ok_or("a transformer needs an argument")?;
        let (a_ty, a_list, a_pf) = {
            let s = &self.slots[first as usize];
            (s.ty, s.is_list, s.print_format)
        };
        let (kind, ty, is_list, pf) = match (t.kind, args.len()) {
            (
                k @ (TransformerKind::Tolower
                | TransformerKind::Toupper
                | TransformerKind::B64
                | TransformerKind::Basename),
                1,
            ) => (
                SlotKind::Unary {
                    kind: k,
                    arg: first,
                    input_list: a_list,
                },
                a_ty,
                a_list,
                a_pf,
            ),
            (TransformerKind::Len, 1) => (
                SlotKind::Unary {
                    kind: TransformerKind::Len,
                    arg: first,
                    input_list: a_list,
                },
                FieldType::Uint64,
                false,
                PrintFormat::Dec,
            ),
            (TransformerKind::Join, 2) => (
                SlotKind::Join {
                    sep: args[0],
                    list: args[1],
                },
                FieldType::Charbuf,
                false,
                PrintFormat::Na,
            ),
            (TransformerKind::Concat, n) if n >= 2 => (
                SlotKind::Concat(args.clone()),
                FieldType::Charbuf,
                false,
                PrintFormat::Na,
            ),
            (TransformerKind::Getopt, 2) => {
                let select = match &t.arg {
                    Some(a) if a.value.len() == 1 => Some(a.value.as_bytes()[0]),
                    Some(_) => {
                        return Err(
                            "getopt() field argument must be a single option character".into()
                        )
                    }
                    None => None,
                };
                (
                    SlotKind::Getopt {
                        argv: args[0],
                        optstring: args[1],
                        select,
                    },
                    FieldType::Charbuf,
                    select.is_none(),
                    PrintFormat::Na,
                )
            }
            (k, _) => {
                return Err(format!(
                    "transformer '{}' does not accept these arguments",
                    k.as_str()
                ))
            }
        };
        Ok(self.push(Slot {
            kind,
            name,
            ty,
            is_list,
            print_format: pf,
            multi: Multi::Single,
            transformed: true,
        }))
    }

    fn targ(&mut self, a: &TransformerArg, scope: &FieldScope<'_>) -> Result<SlotId, CompileError> {
        match a {
            TransformerArg::Field(f) => self.field(f, scope),
            TransformerArg::Transformer(t) => self.transformer(t, scope),
            TransformerArg::Str(v) | TransformerArg::Number(v) => {
                let name = format!("\u{0}const:{}", v.text);
                if let Some(&id) = self.by_name.get(&name) {
                    return Ok(id);
                }
                Ok(self.push(Slot {
                    kind: SlotKind::Const(vec![ParsedValue::Str(v.as_bytes().to_vec())]),
                    name,
                    ty: FieldType::Charbuf,
                    is_list: false,
                    print_format: PrintFormat::Na,
                    multi: Multi::Single,
                    transformed: false,
                }))
            }
            TransformerArg::List { items, .. } => {
                let elems: Vec<SlotId> = items
                    .iter()
                    .map(|i| self.targ(i, scope))
                    .collect::<Result<_, _>>()?;
                let id = self.slots.len() as SlotId;
                self.slots.push(Slot {
                    kind: SlotKind::List(elems),
                    name: format!("\u{0}list:{id}"),
                    ty: FieldType::Charbuf,
                    is_list: true,
                    print_format: PrintFormat::Na,
                    multi: Multi::Single,
                    transformed: false,
                });
                Ok(id)
            }
        }
    }
}

fn multi_of(r: &Resolved) -> Multi {
    match r.field.name {
        "proc.aname" | "proc.apid" | "proc.aexe" | "proc.aexepath" | "proc.acmdline"
        | "proc.aargs" | "proc.aenv"
            if r.arg == ResolvedArg::None =>
        {
            Multi::Any
        }
        "fd.ip" | "fd.port" | "fd.proto" | "fd.net" => Multi::Endpoints,
        _ => Multi::Single,
    }
}

/// A `regex` constant: RE2 in POSIX mode matched against the whole value
/// (libsinsp anchors both ends); `^`/`$` inside also match at line
/// boundaries, as RE2's POSIX mode does without `one_line`.
pub fn compile_regex(pattern: &str) -> Result<regex::Regex, CompileError> {
    regex::RegexBuilder::new(&format!(r"\A(?:{pattern})\z"))
        .multi_line(true)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            let last = msg.lines().last().unwrap_or("").trim().to_string();
            format!("filter error: invalid regex pattern: {last}")
        })
}

/// One step of a condition compiled to jumps (see [`Program::emit`]):
/// evaluate check node `check`, then go to `on_true` or `on_false`, an
/// index of the next step or one of [`ACCEPT`] / [`REJECT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jump {
    pub check: NodeId,
    pub on_true: u32,
    pub on_false: u32,
}

/// Jump target: the condition is true.
pub const ACCEPT: u32 = u32::MAX;
/// Jump target: the condition is false.
pub const REJECT: u32 = u32::MAX - 1;

impl Program {
    /// Compiles condition `node` into jumps appended to `out` and returns
    /// its entry: an index into `out`, or [`ACCEPT`] / [`REJECT`] when the
    /// result does not depend on the event. Connectives become jumps
    /// (`a and b`: `a` false goes to the false target, true to `b`; `not`
    /// swaps the targets), so the checks run in the order of the tree with
    /// its short-circuits, exactly as [`Frame::eval`] runs them; `known`
    /// gives the result of checks decided in advance (fields that depend
    /// only on the event code), which are then not emitted.
    pub fn emit(
        &self,
        node: NodeId,
        on_true: u32,
        on_false: u32,
        known: &dyn Fn(NodeId) -> Option<bool>,
        out: &mut Vec<Jump>,
    ) -> u32 {
        match &self.nodes[node as usize] {
            NodeDef::And(c) => {
                let mut next = on_true;
                for &n in c.iter().rev() {
                    next = self.emit(n, next, on_false, known, out);
                }
                next
            }
            NodeDef::Or(c) => {
                let mut next = on_false;
                for &n in c.iter().rev() {
                    next = self.emit(n, on_true, next, known, out);
                }
                next
            }
            NodeDef::Not(c) => self.emit(*c, on_false, on_true, known, out),
            NodeDef::Check(_) => match known(node) {
                Some(true) => on_true,
                Some(false) => on_false,
                None => {
                    out.push(Jump {
                        check: node,
                        on_true,
                        on_false,
                    });
                    (out.len() - 1) as u32
                }
            },
        }
    }
}

/// Per-event cache of slot values.
#[derive(Debug)]
pub struct Frame {
    epoch: u32,
    stamp: Vec<u32>,
    values: Vec<Vec<ParsedValue>>,
    /// Per-node result of the current event: `epoch << 1 | value`
    /// (valid when its epoch is the current one).
    node_memo: Vec<u32>,
    /// Scratch member bits of a [`SetGroup`].
    bits: Vec<u64>,
    /// The units ([`Program::unit_of`]) evaluated for the current event
    /// since [`Frame::take_fresh`].
    fresh: Vec<u32>,
    /// Per set group: the epoch of its last evaluation (its members'
    /// results are then in `group_bits`, not recorded one by one).
    group_epoch: Vec<u32>,
    /// Per set group, from `group_off`: its members' results at its last
    /// evaluation (bit `k`: member `k`).
    group_bits: Vec<u64>,
    group_off: Vec<usize>,
}

/// Epochs stay below this, so that `epoch << 1` fits a node memo.
const EPOCH_LIMIT: u32 = 1 << 31;

impl Frame {
    pub fn new(program: &Program) -> Frame {
        let mut group_off = Vec::with_capacity(program.groups.len());
        let mut words = 0;
        for g in &program.groups {
            group_off.push(words);
            words += g.words;
        }
        let mut f = Frame {
            epoch: 1,
            stamp: vec![0; program.slots.len()],
            values: vec![Vec::new(); program.slots.len()],
            node_memo: vec![0; program.nodes.len()],
            bits: Vec::new(),
            fresh: Vec::new(),
            group_epoch: vec![0; program.groups.len()],
            group_bits: vec![0; words],
            group_off,
        };
        for (i, s) in program.slots.iter().enumerate() {
            if let SlotKind::Const(v) = &s.kind {
                f.values[i] = v.clone();
                f.stamp[i] = u32::MAX;
            }
        }
        f
    }

    /// Forgets the values of the previous event.
    #[inline]
    pub fn next_event(&mut self) {
        self.fresh.clear();
        self.epoch += 1;
        if self.epoch >= EPOCH_LIMIT {
            // Wrapped: make every stamp stale (constants keep u32::MAX).
            for s in self.stamp.iter_mut() {
                if *s != u32::MAX {
                    *s = 0;
                }
            }
            self.node_memo.iter_mut().for_each(|s| *s = 0);
            self.group_epoch.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
    }

    /// The values of a slot for the current event (empty: no value).
    pub fn values(
        &mut self,
        p: &Program,
        id: SlotId,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) -> &[ParsedValue] {
        self.ensure(p, id, fill);
        &self.values[id as usize]
    }

    /// Computes the slot's values for the current event unless they are
    /// already known (the check is inlined, the computation is not).
    #[inline]
    fn ensure(
        &mut self,
        p: &Program,
        id: SlotId,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) {
        let stamp = self.stamp[id as usize];
        if stamp != self.epoch && stamp != u32::MAX {
            self.compute(p, id, fill);
        }
    }

    /// [`Frame::ensure`] for a slot not known yet.
    fn compute(
        &mut self,
        p: &Program,
        id: SlotId,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) {
        let i = id as usize;
        self.stamp[i] = self.epoch;
        if let SlotKind::Field(f) = &p.slots[i].kind {
            // In place (the usual case: no other slot needed).
            let out = &mut self.values[i];
            out.clear();
            fill(*f, out);
            return;
        }
        let mut out = std::mem::take(&mut self.values[i]);
        out.clear();
        match &p.slots[i].kind {
            SlotKind::Field(f) => fill(*f, &mut out),
            SlotKind::Const(v) => out.extend_from_slice(v),
            SlotKind::List(elems) => {
                for &e in elems {
                    self.ensure(p, e, fill);
                    let v = &self.values[e as usize];
                    if v.is_empty() {
                        out.clear();
                        break;
                    }
                    out.extend_from_slice(v);
                }
            }
            SlotKind::Unary {
                kind,
                arg,
                input_list,
            } => {
                self.ensure(p, *arg, fill);
                out.extend_from_slice(&self.values[*arg as usize]);
                if !out.is_empty() {
                    let ok = match kind {
                        TransformerKind::Tolower => transform::tolower(&mut out),
                        TransformerKind::Toupper => transform::toupper(&mut out),
                        TransformerKind::B64 => transform::b64(&mut out),
                        TransformerKind::Basename => transform::basename(&mut out),
                        TransformerKind::Len => transform::len(&mut out, *input_list),
                        _ => false,
                    };
                    if !ok {
                        out.clear();
                    }
                }
            }
            SlotKind::Join { sep, list } => {
                self.ensure(p, *sep, fill);
                self.ensure(p, *list, fill);
                let (s, l) = (&self.values[*sep as usize], &self.values[*list as usize]);
                if !s.is_empty() && !l.is_empty() {
                    if let Some(v) = transform::join(s, l) {
                        out.push(v);
                    }
                }
            }
            SlotKind::Concat(args) => {
                for &a in args {
                    self.ensure(p, a, fill);
                }
                if let Some(v) =
                    transform::concat(args.iter().map(|&a| &self.values[a as usize][..]))
                {
                    out.push(v);
                }
            }
            SlotKind::Getopt {
                argv,
                optstring,
                select,
            } => {
                self.ensure(p, *argv, fill);
                self.ensure(p, *optstring, fill);
                let (a, o) = (
                    &self.values[*argv as usize],
                    &self.values[*optstring as usize],
                );
                if !a.is_empty() {
                    if let Some(v) = transform::getopt(a, o, *select) {
                        out.extend(v);
                    }
                }
            }
        }
        self.values[i] = out;
    }

    /// Evaluates a compiled condition for the current event (each node
    /// at most once per event: results are memoized by node).
    pub fn eval(
        &mut self,
        p: &Program,
        node: NodeId,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) -> bool {
        if let Some(v) = self.memoized(node) {
            return v;
        }
        let v = match &p.nodes[node as usize] {
            NodeDef::And(c) => c.iter().all(|&n| self.eval(p, n, fill)),
            NodeDef::Or(c) => c.iter().any(|&n| self.eval(p, n, fill)),
            NodeDef::Not(c) => !self.eval(p, *c, fill),
            NodeDef::Check(c) => return self.check_node(p, node, c, fill),
        };
        self.remember(node, v)
    }

    /// The units evaluated since the last call (in this event), whose
    /// check nodes now have their values ([`Frame::memoized`]); `out` is
    /// cleared first.
    #[inline]
    pub fn take_fresh(&mut self, out: &mut Vec<u32>) {
        out.clear();
        if !self.fresh.is_empty() {
            std::mem::swap(out, &mut self.fresh);
        }
    }

    /// The node's value for the current event, if already evaluated.
    #[inline(always)]
    pub fn memoized(&self, node: NodeId) -> Option<bool> {
        let memo = self.node_memo[node as usize];
        (memo >> 1 == self.epoch).then_some(memo & 1 != 0)
    }

    /// The node's value for the current event, if known: memoized, or
    /// the result of a set group member whose group was evaluated.
    #[inline]
    pub fn known(&self, p: &Program, node: NodeId) -> Option<bool> {
        if let Some(v) = self.memoized(node) {
            return Some(v);
        }
        let g = *p.group_of.get(node as usize)? as usize;
        if self.group_epoch.get(g) != Some(&self.epoch) {
            return None;
        }
        Some(self.group_member(p, g, node))
    }

    /// The results of set group `g`'s members (bit `k`: member `k`, see
    /// [`Program::group_position`]) if the group was evaluated for the
    /// current event.
    #[inline]
    pub fn group_results(&self, g: usize) -> Option<&[u64]> {
        if self.group_epoch.get(g) != Some(&self.epoch) {
            return None;
        }
        let off = self.group_off[g];
        let end = self
            .group_off
            .get(g + 1)
            .copied()
            .unwrap_or(self.group_bits.len());
        Some(&self.group_bits[off..end])
    }

    /// Member `node`'s result at group `g`'s last evaluation (kept in
    /// `group_bits`).
    #[inline]
    fn group_member(&self, p: &Program, g: usize, node: NodeId) -> bool {
        let k = p.group_pos[node as usize] as usize;
        let w = self.group_bits[self.group_off[g] + k / 64];
        (w >> (k % 64)) & 1 != 0
    }

    /// Records the node's value for the current event; returns it.
    #[inline(always)]
    fn remember(&mut self, node: NodeId, v: bool) -> bool {
        self.node_memo[node as usize] = self.epoch << 1 | v as u32;
        v
    }

    /// Runs a condition compiled by [`Program::emit`] from `entry` for
    /// the current event; check results are memoized as in
    /// [`Frame::eval`] (shared with it).
    #[inline]
    pub fn run(
        &mut self,
        p: &Program,
        jumps: &[Jump],
        entry: u32,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) -> bool {
        let mut pc = entry;
        while let Some(j) = jumps.get(pc as usize) {
            let v = self.decide(p, j.check, fill);
            pc = if v { j.on_true } else { j.on_false };
        }
        pc == ACCEPT
    }

    /// The value of the check (or condition) node `node` for the current
    /// event, memoized as in [`Frame::eval`].
    #[inline(always)]
    pub fn decide(
        &mut self,
        p: &Program,
        node: NodeId,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) -> bool {
        match self.memoized(node) {
            Some(v) => v,
            None => self.decide_now(p, node, fill),
        }
    }

    /// [`Frame::decide`] for a node not yet evaluated for the event.
    #[inline]
    fn decide_now(
        &mut self,
        p: &Program,
        node: NodeId,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) -> bool {
        match &p.nodes[node as usize] {
            NodeDef::Check(c) => self.check_node(p, node, c, fill),
            // `eval` records the value itself.
            _ => self.eval(p, node, fill),
        }
    }

    /// Evaluates check node `node` (`c`) and records its value, with
    /// those of the other members of its set group.
    #[inline]
    fn check_node(
        &mut self,
        p: &Program,
        node: NodeId,
        c: &Check,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) -> bool {
        match p.group_of.get(node as usize) {
            Some(&g) if g != NO_GROUP => {
                let gi = g as usize;
                if gi < self.group_epoch.len() {
                    // Once per event per group; the members read the
                    // group's results when asked.
                    if self.group_epoch[gi] != self.epoch {
                        self.fresh.push(GROUP_UNIT | g);
                        self.check_group(p, &p.groups[gi], fill);
                        let off = self.group_off[gi];
                        let words = self.bits.len();
                        self.group_bits[off..off + words].copy_from_slice(&self.bits);
                        self.group_epoch[gi] = self.epoch;
                    }
                    let v = self.group_member(p, gi, node);
                    return self.remember(node, v);
                }
                // A frame made before the groups: every member recorded.
                self.fresh.push(GROUP_UNIT | g);
                self.check_group(p, &p.groups[gi], fill);
                self.record_group(&p.groups[gi]);
                self.memoized(node) == Some(true)
            }
            _ => {
                self.fresh.push(node);
                let v = self.check(p, c, fill);
                self.remember(node, v)
            }
        }
    }

    /// Computes in `bits` the value of every member of a set group, as
    /// [`Frame::check`] gives it for each: no value is in no set; a list
    /// is `in` the sets holding each of its values and `intersects` those
    /// holding one; an ancestor or endpoint field is in the sets holding
    /// one of its values; a single value is in the sets holding it.
    fn check_group(
        &mut self,
        p: &Program,
        g: &SetGroup,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) {
        self.ensure(p, g.lhs, fill);
        let Frame { values, bits, .. } = self;
        let vals = &values[g.lhs as usize];
        let slot = &p.slots[g.lhs as usize];
        bits.clear();
        let every = slot.is_list && g.op == OpKind::In;
        let any = slot.is_list || slot.multi != Multi::Single;
        match vals.first() {
            None => bits.resize(g.words, 0),
            Some(v) if !any => match g.row(v) {
                Some(row) => bits.extend_from_slice(row),
                None => bits.resize(g.words, 0),
            },
            Some(_) => {
                bits.resize(g.words, if every { !0 } else { 0 });
                for v in vals {
                    match (g.row(v), every) {
                        (Some(row), true) => bits.iter_mut().zip(row).for_each(|(b, r)| *b &= r),
                        (Some(row), false) => bits.iter_mut().zip(row).for_each(|(b, r)| *b |= r),
                        (None, true) => bits.fill(0),
                        (None, false) => {}
                    }
                }
            }
        }
    }

    /// Records the result of every member of `g` from `bits` (its last
    /// evaluation).
    fn record_group(&mut self, g: &SetGroup) {
        let now = self.epoch << 1;
        for (word, members) in self.bits.iter().zip(g.members.chunks(64)) {
            let mut w = *word;
            for &n in members {
                self.node_memo[n as usize] = now | (w & 1) as u32;
                w >>= 1;
            }
        }
    }

    fn check(
        &mut self,
        p: &Program,
        c: &Check,
        fill: &mut dyn FnMut(usize, &mut Vec<ParsedValue>),
    ) -> bool {
        self.ensure(p, c.lhs, fill);
        if self.values[c.lhs as usize].is_empty() {
            return false;
        }
        if c.op == OpKind::Exists {
            return true;
        }
        let rhs_vals: &[ParsedValue] = match &c.rhs {
            RhsKind::None => return true,
            RhsKind::Slot(r) => {
                self.ensure(p, *r, fill);
                let v = &self.values[*r as usize];
                if v.is_empty() {
                    return false;
                }
                v
            }
            RhsKind::Consts(k) => &k.values,
        };
        let consts = match &c.rhs {
            RhsKind::Consts(k) => Some(&**k),
            _ => None,
        };
        let lhs = &self.values[c.lhs as usize];
        let test = |v: &ParsedValue| test_one(c, consts, rhs_vals, v);
        if c.is_list {
            return match c.op {
                OpKind::In => lhs.iter().all(|v| member(c.ty, consts, rhs_vals, v)),
                OpKind::Intersects => lhs.iter().any(|v| member(c.ty, consts, rhs_vals, v)),
                _ => false,
            };
        }
        match p.slots[c.lhs as usize].multi {
            Multi::Single => test(&lhs[0]),
            Multi::Any => lhs.iter().any(test),
            Multi::Endpoints if c.op == OpKind::Ne => lhs.iter().all(test),
            Multi::Endpoints => lhs.iter().any(test),
        }
    }
}

/// Set membership (`in`, `intersects`): hashed constants, or one by one
/// (networks, right-hand fields).
fn member(ty: FieldType, consts: Option<&Consts>, rhs: &[ParsedValue], v: &ParsedValue) -> bool {
    if let Some(set) = consts.and_then(|k| k.set.as_ref()) {
        return set.contains(v);
    }
    let _ = ty;
    rhs.iter().any(|r| compare(OpKind::Eq, v, r))
}

fn test_one(c: &Check, consts: Option<&Consts>, rhs: &[ParsedValue], v: &ParsedValue) -> bool {
    let elem = |i: usize| -> bool {
        if c.op == OpKind::Regex {
            match consts.and_then(|k| k.regexes.get(i)) {
                Some(re) => regex_match(re, v),
                None => false,
            }
        } else {
            compare(c.op, v, &rhs[i])
        }
    };
    match c.modifier {
        None => match c.op {
            OpKind::In | OpKind::Intersects => member(c.ty, consts, rhs, v),
            OpKind::Pmatch => match consts.and_then(|k| k.paths.as_ref()) {
                Some(paths) => match v {
                    ParsedValue::Str(b) | ParsedValue::Bytes(b) => paths.matches(cstr(b)),
                    _ => false,
                },
                None => rhs.iter().any(|r| compare(OpKind::Eq, v, r)),
            },
            _ if rhs.is_empty() => false,
            _ => elem(0),
        },
        Some(m) => {
            let n = if c.op == OpKind::Regex {
                consts.map_or(0, |k| k.regexes.len())
            } else {
                rhs.len()
            };
            if n == 0 {
                return false;
            }
            let set = consts.and_then(|k| k.set.as_ref());
            match m {
                Modifier::Anyof => match set {
                    Some(s) if matches!(c.op, OpKind::Eq | OpKind::EqEq) => s.contains(v),
                    _ => (0..n).any(elem),
                },
                Modifier::Allof => match set {
                    Some(s) if c.op == OpKind::Ne => !s.contains(v),
                    _ => (0..n).all(elem),
                },
                Modifier::Oneof => {
                    let mut hits = 0;
                    for i in 0..n {
                        if elem(i) {
                            hits += 1;
                            if hits > 1 {
                                return false;
                            }
                        }
                    }
                    hits == 1
                }
            }
        }
    }
}

fn regex_match(re: &regex::Regex, v: &ParsedValue) -> bool {
    match v {
        ParsedValue::Str(b) | ParsedValue::Bytes(b) => {
            let b = cstr(b);
            match std::str::from_utf8(b) {
                Ok(s) => re.is_match(s),
                Err(_) => re.is_match(&String::from_utf8_lossy(b)),
            }
        }
        _ => false,
    }
}

//! The event-type set of a syscall rule (LANGUAGE.md E), computed on the
//! macro-expanded tree with negation pushed to the leaves.

use crate::cat::{self, Scope};
use falconer_syntax::ast::*;

/// A set of event codes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EvtSet {
    words: Vec<u64>,
}

impl EvtSet {
    pub fn empty() -> EvtSet {
        EvtSet {
            words: vec![0; cat::event_universe().div_ceil(64)],
        }
    }
    pub fn all() -> EvtSet {
        let n = cat::event_universe();
        let mut words = vec![u64::MAX; n.div_ceil(64)];
        if !n.is_multiple_of(64) {
            if let Some(last) = words.last_mut() {
                *last = (1u64 << (n % 64)) - 1;
            }
        }
        EvtSet { words }
    }
    pub fn insert(&mut self, code: u16) {
        let (w, b) = (code as usize / 64, code as usize % 64);
        if w < self.words.len() {
            self.words[w] |= 1 << b;
        }
    }
    pub fn contains(&self, code: u16) -> bool {
        let (w, b) = (code as usize / 64, code as usize % 64);
        w < self.words.len() && self.words[w] & (1 << b) != 0
    }
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn is_all(&self) -> bool {
        self.len() == cat::event_universe()
    }
    fn union(&mut self, o: &EvtSet) {
        for (a, b) in self.words.iter_mut().zip(&o.words) {
            *a |= b;
        }
    }
    fn intersect(&mut self, o: &EvtSet) {
        for (a, b) in self.words.iter_mut().zip(&o.words) {
            *a &= b;
        }
    }
    fn complement(&mut self) {
        let n = cat::event_universe();
        for (i, a) in self.words.iter_mut().enumerate() {
            let valid = if (i + 1) * 64 <= n {
                u64::MAX
            } else {
                (1u64 << (n % 64)) - 1
            };
            *a = !*a & valid;
        }
    }
    pub fn codes(&self) -> impl Iterator<Item = u16> + '_ {
        (0..cat::event_universe() as u16).filter(|c| self.contains(*c))
    }
    /// Distinct event names in the set, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self.codes().filter_map(cat::event_name).collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Resolves a macro reference to its (parsed) tree.
pub type MacroLookup<'a> = &'a dyn Fn(&str) -> Option<&'a Expr>;

/// The event-type set of `expr`. `depth` guards against macro loops.
pub fn evttypes(expr: &Expr, macros: MacroLookup<'_>, scope: &Scope) -> EvtSet {
    eval(expr, false, macros, scope, 0)
}

fn eval(expr: &Expr, neg: bool, macros: MacroLookup<'_>, scope: &Scope, depth: u32) -> EvtSet {
    if depth > 200 {
        return EvtSet::all();
    }
    match expr {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            let is_and = matches!(expr, Expr::And { .. }) != neg;
            let mut acc: Option<EvtSet> = None;
            for c in children {
                let s = eval(c, neg, macros, scope, depth + 1);
                acc = Some(match acc {
                    None => s,
                    Some(mut a) => {
                        if is_and {
                            a.intersect(&s)
                        } else {
                            a.union(&s)
                        }
                        a
                    }
                });
            }
            acc.unwrap_or_else(EvtSet::all)
        }
        Expr::Not { child, .. } => eval(child, !neg, macros, scope, depth + 1),
        Expr::Macro(n) => match macros(&n.text) {
            Some(e) => eval(e, neg, macros, scope, depth + 1),
            None => EvtSet::all(),
        },
        Expr::Error { .. } => EvtSet::all(),
        Expr::Unary { lhs, .. } => match lhs {
            Lhs::Field(f) if is_evt_type_field(f) => {
                // `evt.type exists` is an event-type check: U, ∅ negated.
                if neg {
                    EvtSet::empty()
                } else {
                    EvtSet::all()
                }
            }
            _ => EvtSet::all(),
        },
        Expr::Binary { lhs, op, rhs, .. } => {
            let Lhs::Field(f) = lhs else {
                return EvtSet::all();
            };
            if op.modifier.is_some() {
                return EvtSet::all();
            }
            let mut s = if is_evt_type_field(f) {
                let names: Vec<&str> = match (op.kind, rhs) {
                    (OpKind::Eq | OpKind::EqEq | OpKind::Ne, Rhs::Value(v)) => {
                        vec![v.text.as_str()]
                    }
                    (OpKind::In, Rhs::List(l)) => l.items.iter().map(|v| v.text.as_str()).collect(),
                    (OpKind::In, Rhs::Ident(n)) => vec![n.text.as_str()],
                    _ => return EvtSet::all(),
                };
                let mut s = EvtSet::empty();
                let mut unmatched_syscall = false;
                for n in names {
                    let codes = cat::event_codes(n, scope);
                    if codes.is_empty() && cat::is_syscall_name(n) {
                        unmatched_syscall = true;
                    }
                    for c in codes {
                        s.insert(c);
                    }
                }
                if unmatched_syscall {
                    for c in cat::generic_syscall_codes() {
                        s.insert(*c);
                    }
                }
                if op.kind == OpKind::Ne {
                    s.complement();
                }
                s
            } else if f.name == "evt.num" && f.arg.is_none() {
                let nums: Vec<i128> = match rhs {
                    Rhs::Value(v) => v.text.trim().parse().ok().into_iter().collect(),
                    Rhs::List(l) => {
                        let mut v = Vec::new();
                        for i in &l.items {
                            match i.text.trim().parse() {
                                Ok(n) => v.push(n),
                                Err(_) => return EvtSet::all(),
                            }
                        }
                        v
                    }
                    _ => return EvtSet::all(),
                };
                let none = match (op.kind, nums.as_slice()) {
                    (OpKind::Eq | OpKind::EqEq, [0]) => true,
                    (OpKind::Lt, [0 | 1]) => true,
                    (OpKind::Le, [0]) => true,
                    (OpKind::In, n) => n.iter().all(|x| *x == 0),
                    _ => false,
                };
                let all = matches!(
                    (op.kind, nums.as_slice()),
                    (OpKind::Ne, [0]) | (OpKind::Gt, [0]) | (OpKind::Ge, [0 | 1])
                );
                if none {
                    EvtSet::empty()
                } else if all {
                    EvtSet::all()
                } else {
                    return EvtSet::all();
                }
            } else {
                return EvtSet::all();
            };
            if neg {
                s.complement();
            }
            s
        }
    }
}

fn is_evt_type_field(f: &FieldRef) -> bool {
    (f.name == "evt.type" || f.name == "syscall.type") && f.arg.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_and_complement_cover_exactly_the_universe() {
        let n = cat::event_universe();
        let all = EvtSet::all();
        assert_eq!(all.len(), n);
        assert!(all.is_all());
        let mut none = EvtSet::all();
        none.complement();
        assert!(none.is_empty());
        let mut one = EvtSet::empty();
        one.insert(3);
        one.complement();
        assert_eq!(one.len(), n - 1);
        assert!(!one.contains(3) && one.contains(0) && one.contains(n as u16 - 1));
        assert!(!one.contains(n as u16));
    }
}

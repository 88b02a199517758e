//! Conditions written for libsinsp's 2022 parser (Debian's sysdig 0.29,
//! the independent oracle of the differential tests and benchmarks):
//! that parser rejects `and`/`or` chains mixed without brackets and IPv6
//! networks in lists, which the current grammar accepts. And running
//! sysdig itself on a capture.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use falconer_syntax::{Expr, Rhs};

/// The condition with every nested `and`/`or`/`not` operand bracketed.
pub fn bracketed(e: &Expr) -> String {
    match e {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            let op = if matches!(e, Expr::And { .. }) {
                " and "
            } else {
                " or "
            };
            children
                .iter()
                .map(|c| match c {
                    Expr::And { .. } | Expr::Or { .. } | Expr::Not { .. } => {
                        format!("({})", bracketed(c))
                    }
                    _ => bracketed(c),
                })
                .collect::<Vec<_>>()
                .join(op)
        }
        Expr::Not { child, .. } => format!("not ({})", bracketed(child)),
        leaf => falconer_syntax::print_condition(leaf),
    }
}

/// The condition without the IPv6 networks of its list operands (an
/// `a:b/n` item): only for captures that hold no IPv6 connection, where
/// both engines then run the same text.
pub fn without_ipv6_networks(e: &Expr) -> Expr {
    fn walk(e: &mut Expr) {
        match e {
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                children.iter_mut().for_each(walk)
            }
            Expr::Not { child, .. } => walk(child),
            Expr::Binary {
                rhs: Rhs::List(l), ..
            } => {
                l.items
                    .retain(|v| !(v.text.contains(':') && v.text.contains('/')));
            }
            _ => {}
        }
    }
    let mut e = e.clone();
    walk(&mut e);
    e
}

/// Runs `sysdig -r CAPTURE -p '*%evt.num' CONDITION`: the numbers of the
/// events sysdig matches, or its error (also when it is not installed).
pub fn sysdig_event_numbers(capture: &Path, condition: &str) -> Result<BTreeSet<u64>, String> {
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(capture)
        .args(["-p", "*%evt.num", condition])
        .output()
        .map_err(|e| format!("running sysdig: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string()
            + &String::from_utf8_lossy(&out.stdout));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            l.trim()
                .parse::<u64>()
                .map_err(|_| format!("unexpected sysdig output line: {l}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Expr {
        falconer_syntax::parse_condition(s).expr.unwrap()
    }

    #[test]
    fn nested_chains_are_bracketed() {
        let e = parse("a.b = 1 and (c.d = 2 or not e.f = 3) and g.h exists");
        assert_eq!(
            bracketed(&e),
            "a.b = 1 and (c.d = 2 or (not (e.f = 3))) and g.h exists"
        );
    }

    #[test]
    fn ipv6_networks_are_dropped_from_lists() {
        let e = parse("fd.net in (10.0.0.0/8, fc00::/7, 192.168.0.0/16)");
        assert_eq!(
            bracketed(&without_ipv6_networks(&e)),
            "fd.net in (10.0.0.0/8, 192.168.0.0/16)"
        );
    }
}

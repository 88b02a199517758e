//! Snapshots of full trees (with spans) and of recovery results.

use falconer_syntax::output::parse_output;
use falconer_syntax::{parse_condition, Lhs};

#[test]
fn list_and_negated_check() {
    insta::assert_debug_snapshot!(parse_condition(
        "proc.name in (bash, 'zsh') and not fd.name startswith /etc"
    ));
}

#[test]
fn transformer_and_val() {
    insta::assert_debug_snapshot!(parse_condition(
        r#"tolower(proc.env["HOME"]) = val(user.homedir)"#
    ));
}

#[test]
fn modifier_and_nested_groups() {
    insta::assert_debug_snapshot!(parse_condition(
        "evt.type == oneof (open, openat) and (fd.num >= 0 or not proc.aname[2] exists)"
    ));
}

#[test]
fn getopt_with_argument_and_escapes() {
    insta::assert_debug_snapshot!(parse_condition(
        r#"getopt(proc.args, "c:")[c] contains "\x41\tb" or evt.buffer bcontains 00ff"#
    ));
}

#[test]
fn recovery_unclosed_group_and_bad_operand() {
    insta::assert_debug_snapshot!(parse_condition(
        "(proc.name = and fd.name exists or user.name in (root"
    ));
}

#[test]
fn recovery_keywords_and_leftovers() {
    insta::assert_debug_snapshot!(parse_condition(
        "spawned_process andb container and proc.name = x y and fd.num > z"
    ));
}

#[test]
fn output_format() {
    let accepts = |l: &Lhs| match l {
        Lhs::Field(f) => ["proc.name", "proc.cmdline", "user.name"].contains(&f.name.as_str()),
        Lhs::Transformer(_) => true,
    };
    insta::assert_debug_snapshot!(parse_output(
        "*Shell spawned (user=%user.name cmd=%20proc.cmdline %toupper(proc.name)x %bogus.field)",
        &accepts
    ));
}

//! `falconer fields [PATTERN] [--source S] [--json]`: the field catalog.

use falconer_catalog::{catalog, ArgForm, ArgRequirement, FieldInfo, FieldScope};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Substring, or a glob with `*` (e.g. `proc.a*`), matched on names.
    pub pattern: Option<String>,
    /// Only fields visible to rules of this source (with the default
    /// plugins plus --plugin).
    #[arg(long)]
    pub source: Option<String>,
    /// Also load these plugins' fields (with --source).
    #[arg(long = "plugin", value_name = "NAME")]
    pub plugins: Vec<String>,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn glob_match(pat: &str, s: &str) -> bool {
    fn rec(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') => (0..=s.len()).any(|i| rec(&p[1..], &s[i..])),
            Some(c) => s.first() == Some(c) && rec(&p[1..], &s[1..]),
        }
    }
    rec(pat.as_bytes(), s.as_bytes())
}

fn matches(pattern: &Option<String>, name: &str) -> bool {
    match pattern {
        None => true,
        Some(p) if p.contains('*') => glob_match(p, name),
        Some(p) => name.contains(p.as_str()),
    }
}

/// How the argument is written, e.g. `[N]`, `[KEY]`, `.NAME`.
pub fn arg_form(f: &FieldInfo) -> String {
    if f.arg == ArgRequirement::None {
        return String::new();
    }
    let forms: Vec<&str> = f
        .arg_forms
        .iter()
        .map(|a| match a {
            ArgForm::BracketIndex => "[N]",
            ArgForm::BracketKey => "[KEY]",
            ArgForm::DotEventParam => ".PARAM",
            ArgForm::DotEventType => ".EVENT",
            ArgForm::DotEnum(_) => ".VALUE",
            ArgForm::DotCgroupSubsystem => ".SUBSYSTEM",
        })
        .collect();
    let forms = if forms.is_empty() {
        "[ARG]".to_string()
    } else {
        forms.join("|")
    };
    if f.arg == ArgRequirement::Required {
        forms
    } else {
        format!("({forms})")
    }
}

pub fn run(args: &Args) -> Result<i32, String> {
    let cat = catalog();
    let mut plugins: Vec<&str> = falconer_catalog::DEFAULT_PLUGINS.to_vec();
    for p in &args.plugins {
        let Some(info) = cat.plugin(p) else {
            return Err(format!("unknown plugin '{p}'"));
        };
        plugins.push(info.name);
    }
    let fields: Vec<&FieldInfo> = match &args.source {
        Some(s) => {
            let scope = FieldScope::new(s, &plugins);
            cat.fields_in_scope(&scope).collect()
        }
        None => cat.fields().iter().collect(),
    };
    let mut shown = 0;
    for f in fields
        .into_iter()
        .filter(|f| !f.hidden && matches(&args.pattern, f.name))
    {
        shown += 1;
        let ty = if f.is_list {
            format!("{} (list)", f.ty.as_str())
        } else {
            f.ty.as_str().to_string()
        };
        if args.json {
            crate::emit(&format!(
                "{}\n",
                json!({
                    "name": f.name, "type": f.ty.as_str(), "is_list": f.is_list,
                    "arg": match f.arg { ArgRequirement::None => "none", ArgRequirement::Allowed => "allowed", ArgRequirement::Required => "required" },
                    "arg_form": arg_form(f), "source": f.source, "plugin": f.plugin,
                    "deprecated": f.deprecated, "output_only": f.output_only,
                    "description": f.description(),
                })
            ));
        } else {
            let mut flags = Vec::new();
            if f.deprecated {
                flags.push("deprecated");
            }
            if f.output_only {
                flags.push("output-only");
            }
            if let Some(p) = f.plugin {
                flags.push(p);
            }
            crate::emit(&format!(
                "{:<34} {:<16} {:<14} {}{}\n",
                format!("{}{}", f.name, arg_form(f)),
                ty,
                f.source,
                f.description(),
                if flags.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", flags.join(", "))
                }
            ));
        }
    }
    Ok(if shown == 0 { 1 } else { 0 })
}

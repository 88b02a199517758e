//! `falconer expand --rule NAME | --macro NAME`: the fully expanded
//! condition (lists and macros substituted, exceptions folded in).

use super::{load, LoadArgs};
use falconer_analysis::expand::{expand_macro, expand_rule};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub load: LoadArgs,
    /// The rule to expand.
    #[arg(
        long,
        conflicts_with = "macro_name",
        required_unless_present = "macro_name"
    )]
    pub rule: Option<String>,
    /// The macro to expand.
    #[arg(long = "macro")]
    pub macro_name: Option<String>,
}

pub fn run(args: &Args) -> Result<i32, String> {
    let loaded = load(&args.load)?;
    let host = &loaded.host;
    let (collected, compiled) = (host.collected(), host.compiled());
    let result = match (&args.rule, &args.macro_name) {
        (Some(r), _) => expand_rule(collected, compiled, r),
        (None, Some(m)) => expand_macro(collected, compiled, m),
        (None, None) => return Err("give --rule NAME or --macro NAME".into()),
    };
    match result {
        Ok(s) => {
            crate::emit(&format!("{s}\n"));
            Ok(0)
        }
        Err(e) => {
            eprintln!("error: {e} (run `falconer check` for details)");
            Ok(1)
        }
    }
}

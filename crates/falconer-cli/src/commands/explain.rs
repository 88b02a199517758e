//! `falconer explain CODE`: print a diagnostic's documentation.

mod pages {
    include!(concat!(env!("OUT_DIR"), "/docs.rs"));
}

pub use pages::PAGES;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A diagnostic code (e.g. undefined-macro) or a Falco load code
    /// (e.g. LOAD_ERR_VALIDATE).
    pub code: Option<String>,
    /// List every code.
    #[arg(long)]
    pub list: bool,
}

pub fn page(code: &str) -> Option<&'static str> {
    PAGES.iter().find(|(c, _)| *c == code).map(|(_, p)| *p)
}

pub fn run(args: &Args) -> Result<i32, String> {
    let codes = falconer_analysis::CODES;
    match (&args.code, args.list) {
        (None, _) | (_, true) => {
            for c in codes {
                crate::emit(&format!(
                    "{:<28} {:<8} {:<32} {}\n",
                    c.code,
                    c.severity.as_str(),
                    c.falco_code.unwrap_or("(falconer)"),
                    c.summary
                ));
            }
            Ok(0)
        }
        (Some(code), false) => {
            if let Some(p) = page(code) {
                crate::emit(p);
                return Ok(0);
            }
            let by_falco: Vec<_> = codes
                .iter()
                .filter(|c| c.falco_code.is_some_and(|f| f.eq_ignore_ascii_case(code)))
                .collect();
            if !by_falco.is_empty() {
                crate::emit(&format!("{code} is reported by falconer as:\n"));
                for c in by_falco {
                    crate::emit(&format!("  {:<28} {}\n", c.code, c.summary));
                }
                crate::emit("\nRun `falconer explain <code>` for one of them.\n");
                return Ok(0);
            }
            let all = codes.iter().map(|c| c.code);
            let hint = falconer_text::suggest(code, all)
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            Err(format!(
                "unknown diagnostic code '{code}'{hint}; see `falconer explain --list`"
            ))
        }
    }
}

//! `falconer scenario build SCENARIO -o OUT.scap`: compiles a readable
//! scenario (processes, containers, system calls in YAML) to a scap
//! capture that Falco, sysdig and `falconer replay` read.
//!
//! Exit status: 0 written; 2 the scenario has errors (printed with their
//! positions) or the output cannot be written.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: ScenarioCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ScenarioCommand {
    /// Compile a scenario file to a scap capture.
    Build {
        /// The scenario (YAML; see docs/testing.md).
        scenario: PathBuf,
        /// The capture to write.
        #[arg(short, long, value_name = "OUT.scap")]
        output: PathBuf,
    },
}

pub fn run(args: &Args) -> Result<i32, String> {
    match &args.command {
        ScenarioCommand::Build { scenario, output } => {
            match falconer_test::scenario::build_file(scenario) {
                Ok(bytes) => {
                    std::fs::write(output, &bytes)
                        .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
                    eprintln!(
                        "falconer: wrote {} ({} bytes)",
                        output.display(),
                        bytes.len()
                    );
                    Ok(0)
                }
                Err(diags) => {
                    eprint!("{}", falconer_test::report::render_diagnostics(&diags));
                    Ok(2)
                }
            }
        }
    }
}

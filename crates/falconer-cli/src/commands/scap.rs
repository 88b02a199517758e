//! `falconer scap dump CAPTURE`: the events of a capture as JSON lines.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: ScapCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ScapCommand {
    /// Print every event as one JSON object per line:
    /// {"num","ts","type","dir","tid","cpu","params":{...}}.
    Dump {
        /// A scap capture (plain or gzip).
        capture: PathBuf,
    },
}

pub fn run(args: &Args) -> Result<i32, String> {
    match &args.command {
        ScapCommand::Dump { capture } => {
            let mut reader = falconer_scap::ScapReader::open(capture)
                .map_err(|e| format!("{}: {e}", capture.display()))?;
            let out = std::io::stdout().lock();
            match falconer_scap::dump::dump(&mut reader, out) {
                Ok(_) => Ok(0),
                // A closed pipe (`| head`) is not an error of ours.
                Err(falconer_scap::dump::DumpError::Io(e))
                    if e.kind() == std::io::ErrorKind::BrokenPipe =>
                {
                    Ok(0)
                }
                Err(falconer_scap::dump::DumpError::Scap(e)) => {
                    eprintln!(
                        "falconer: {}: {e} (the events before it were printed)",
                        capture.display()
                    );
                    Ok(1)
                }
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

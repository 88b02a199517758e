//! One module per subcommand.

pub mod check;
pub mod expand;
pub mod explain;
pub mod fields;
pub mod fmt;
pub mod lsp;
pub mod parse;
pub mod probe;
pub mod replay;
pub mod scap;
pub mod scenario;
pub mod test;

use crate::config;
use crate::inputs;
use falconer_analysis::{AnalysisHost, Config, Diagnostic, Loc};
use falconer_text::Span;
use std::path::PathBuf;

/// Options shared by commands that load rules files.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LoadArgs {
    /// Rules files, or directories (their *.yaml in sorted order), loaded
    /// in the order given. Defaults to falconer.toml's rules_files.
    pub paths: Vec<PathBuf>,
    /// Config file (default: falconer.toml in this or a parent directory).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Engine version to check required_engine_version against.
    #[arg(long, value_name = "X.Y.Z")]
    pub engine_version: Option<String>,
    /// Load only the libs fields (no container plugin), as Falco's engine
    /// tests do.
    #[arg(long)]
    pub no_default_plugins: bool,
    /// Load a plugin's fields and sources (repeatable).
    #[arg(long = "plugin", value_name = "NAME")]
    pub plugins: Vec<String>,
    /// Import the fields and sources of a real Falco: the output of
    /// `falco --list --format json` (third-party plugins included).
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
}

/// A loaded workspace ready to query.
pub struct Loaded {
    pub host: AnalysisHost,
    /// Diagnostics about inputs themselves (invalid UTF-8).
    pub input_diags: Vec<Diagnostic>,
}

fn relative_to_cwd(p: &std::path::Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    p.strip_prefix(&cwd)
        .map(|r| r.to_path_buf())
        .unwrap_or_else(|_| p.to_path_buf())
}

/// Builds the analysis from the arguments. Errors are run failures
/// (exit 2).
pub fn load(args: &LoadArgs) -> Result<Loaded, String> {
    let mut cfg = Config::default();
    let cfg_path = match &args.config {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir().ok().and_then(|d| config::find(&d)),
    };
    let mut paths = args.paths.clone();
    let mut catalog = args.catalog.clone();
    if let Some(p) = &cfg_path {
        let project = config::load(p)?;
        cfg = project.config;
        if catalog.is_none() {
            catalog = project.catalog.map(|c| relative_to_cwd(&c));
        }
        if paths.is_empty() {
            // Relative to the current directory when possible, so reports
            // (and SARIF/GitHub annotations) name repository paths.
            paths = project
                .rules_files
                .iter()
                .map(|f| relative_to_cwd(f))
                .collect();
        }
    }
    if let Some(c) = &catalog {
        cfg.imported = Some(config::import_catalog(c)?);
    }
    if let Some(v) = &args.engine_version {
        cfg.engine_version = config::parse_version(v)?;
    }
    if args.no_default_plugins {
        cfg.default_plugins = false;
    }
    for p in &args.plugins {
        let cat = falconer_catalog::catalog();
        if cat.plugin(p).is_none() {
            let known: Vec<&str> = cat.plugin_names().collect();
            return Err(format!(
                "unknown plugin '{p}' (known: {})",
                known.join(", ")
            ));
        }
        cfg.plugins.push(p.clone());
    }
    if paths.is_empty() {
        return Err(
            "no rules files given (pass paths or list rules_files in falconer.toml)".into(),
        );
    }
    let files = inputs::expand(&paths)?;
    if files.is_empty() {
        return Err("no *.yaml files found in the given paths".into());
    }
    let mut texts = Vec::new();
    let mut input_diags = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let input = inputs::read(f)?;
        if let Some(at) = input.invalid_utf8_at {
            input_diags.push(Diagnostic::new(
                "yaml-syntax",
                Loc {
                    file: i as u32,
                    span: Span::new(at as u32, at as u32 + 1),
                },
                "invalid UTF-8 in the file (rules files must be UTF-8)",
            ));
        }
        texts.push((input.path, input.text));
    }
    let mut host = AnalysisHost::new(cfg);
    host.set_files(texts);
    Ok(Loaded { host, input_diags })
}

/// Whether rules were named: `--rules` paths, `--config`, or a
/// falconer.toml in this or a parent directory.
pub fn rules_given(rules: &[PathBuf], config: &Option<PathBuf>) -> bool {
    !rules.is_empty()
        || config.is_some()
        || std::env::current_dir()
            .ok()
            .and_then(|d| config::find(&d))
            .is_some()
}

/// Loads rules for the engine (`replay`, `probe`): `Ok(Err(1))` when they
/// have load errors, after printing them as `check` does (Falco would
/// refuse to start).
pub fn load_for_engine(
    rules: &[PathBuf],
    config: &Option<PathBuf>,
) -> Result<Result<AnalysisHost, i32>, String> {
    use crate::render::{self, SourceView, Summary};
    use falconer_analysis::Severity;
    let loaded = load(&LoadArgs {
        paths: rules.to_vec(),
        config: config.clone(),
        ..LoadArgs::default()
    })?;
    let host = loaded.host;
    let mut errors = loaded.input_diags;
    errors.extend(host.diagnostics().iter().cloned());
    errors.retain(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        let files: Vec<SourceView> = (0..host.file_count() as u32)
            .map(|i| SourceView::new(host.file_path(i).to_string(), host.file_text(i).to_string()))
            .collect();
        let summary = Summary::of(host.file_count(), &errors);
        eprint!("{}", render::human::render(&errors, &files, summary, false));
        eprintln!("falconer: error: the rules have load errors; Falco would refuse to start");
        return Ok(Err(1));
    }
    Ok(Ok(host))
}

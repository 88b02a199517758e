//! Analysis configuration: engine version, plugins, lint levels.

use crate::codes::Severity;
use falconer_catalog::ImportedCatalog;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The Falco engine version falconer targets (the spec's version).
pub const ENGINE_VERSION: (u32, u32, u32) = (0, 63, 0);

/// A lint level set by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    Off,
    Set(Severity),
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "off" | "allow" => Level::Off,
            "hint" => Level::Set(Severity::Hint),
            "info" => Level::Set(Severity::Info),
            "warning" | "warn" => Level::Set(Severity::Warning),
            "error" | "deny" => Level::Set(Severity::Error),
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// The engine version rules are checked against.
    pub engine_version: (u32, u32, u32),
    /// Load Falco's default plugins (the container plugin).
    pub default_plugins: bool,
    /// Plugins loaded on top (as in falco.yaml's `load_plugins`).
    pub plugins: Vec<String>,
    /// Severity overrides by diagnostic code.
    pub lints: BTreeMap<String, Level>,
    /// Fields imported from a real Falco's list (`falco --list --format
    /// json`), for fields and sources our catalog lacks (third-party
    /// plugins).
    pub imported: Option<Arc<ImportedCatalog>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            engine_version: ENGINE_VERSION,
            default_plugins: true,
            plugins: Vec::new(),
            lints: BTreeMap::new(),
            imported: None,
        }
    }
}

/// Plugins Falco's default installation loads.
pub const DEFAULT_PLUGINS: &[&str] = &["container"];

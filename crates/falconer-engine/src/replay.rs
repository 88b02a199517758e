//! The replay driver: events of a capture, in order, through the state
//! (libsinsp's parsers run first) and the engine.

use std::io::Read;

use falconer_scap::state::State;
use falconer_scap::{ScapError, ScapReader};

use crate::engine::{Alert, Engine};
use crate::extract::EventCtx;

/// Counts of one replay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Events read (and numbered).
    pub events: u64,
    /// Alerts (matches) produced.
    pub alerts: u64,
}

/// Replays every event of `reader`: applies it to the state, evaluates
/// the rules and hands each alert to `on_alert`. A corrupted capture
/// stops the replay with the error, after the alerts of the events read
/// before it.
pub fn replay<R: Read>(
    reader: &mut ScapReader<R>,
    engine: &mut Engine,
    mut on_alert: impl FnMut(&Alert),
) -> Result<ReplayStats, (ReplayStats, ScapError)> {
    let mut state = State::from_reader_metadata(reader);
    let mut stats = ReplayStats::default();
    let mut matched: Vec<u32> = Vec::new();
    while let Some(ev) = reader.next_event_ref() {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => return Err((stats, e)),
        };
        stats.events += 1;
        state.apply(ev);
        let ctx = EventCtx::new(ev, &state);
        matched.clear();
        matched.extend_from_slice(engine.process(&ctx));
        for &r in &matched {
            let alert = engine.alert(r, &ctx);
            stats.alerts += 1;
            on_alert(&alert);
        }
    }
    Ok(stats)
}

/// Replays counting matches without formatting outputs (benchmarks).
pub fn count_matches<R: Read>(
    reader: &mut ScapReader<R>,
    engine: &mut Engine,
) -> Result<ReplayStats, (ReplayStats, ScapError)> {
    let mut state = State::from_reader_metadata(reader);
    let mut stats = ReplayStats::default();
    while let Some(ev) = reader.next_event_ref() {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => return Err((stats, e)),
        };
        stats.events += 1;
        state.apply(ev);
        let ctx = EventCtx::new(ev, &state);
        stats.alerts += engine.process(&ctx).len() as u64;
    }
    Ok(stats)
}

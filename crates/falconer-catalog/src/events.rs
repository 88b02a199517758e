//! Event types and codes (LANGUAGE.md E) and event parameters.

use crate::generated::{
    EVENTS, EVENT_INDEX, EVENT_NAME_CODES, EVENT_NAME_FIRST_CODE, EVENT_PARAM_KEYS,
    EVENT_PARAM_NAMES, EVENT_PARAM_PREFIX_PARENT, EVENT_UNIVERSE, EVT_TYPE_KEYS, EVT_TYPE_NAMES,
    PLUGIN_ASYNC_EVENTS, SYSCALL_NAMES,
};
use crate::index::Names;
use crate::types::{EventInfo, EventParamName};
use crate::Catalog;

/// Number of driver event codes (`PPM_EVENT_MAX`): the universe of a
/// syscall rule's event-type set. Codes are `0..EVENT_CODE_UNIVERSE`; the
/// codes absent from `events.json` are unused slots named `NA`.
pub const EVENT_CODE_UNIVERSE: usize = EVENT_UNIVERSE;

/// `PPME_ASYNCEVENT_E`: the code of every plugin-declared async event.
pub const ASYNC_EVENT_CODE: u16 = 402;

/// `PPME_GENERIC_E` / `PPME_GENERIC_X`: the events of system calls without
/// a dedicated event.
pub const GENERIC_EVENT_CODES: [u16; 2] = [0, 1];

/// The codes an `evt.type` value stands for, with a set of loaded plugins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventCodes {
    /// The codes from the driver table (or the two generic codes).
    pub codes: &'static [u16],
    /// The name is an async event of a loaded plugin: add
    /// [`ASYNC_EVENT_CODE`].
    pub async_event: bool,
}

impl EventCodes {
    /// All codes, ascending, without duplicates.
    pub fn to_vec(&self) -> Vec<u16> {
        let mut v = self.codes.to_vec();
        if self.async_event && !v.contains(&ASYNC_EVENT_CODE) {
            v.push(ASYNC_EVENT_CODE);
            v.sort_unstable();
        }
        v
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && !self.async_event
    }
}

fn find<'a, T>(table: &'a [T], key: impl Fn(&T) -> &str, name: &str) -> Option<&'a T> {
    table
        .binary_search_by(|e| key(e).cmp(name))
        .ok()
        .map(|i| &table[i])
}

impl Catalog {
    /// Every event layout of the driver table, sorted by code (current and
    /// legacy layouts; unused codes are absent).
    pub fn events(&self) -> &'static [EventInfo] {
        &EVENTS
    }

    /// The event with this code, if the code is used.
    pub fn event(&self, code: u16) -> Option<&'static EventInfo> {
        let i = *EVENT_INDEX.get(code as usize)?;
        (i != u16::MAX).then(|| &EVENTS[i as usize])
    }

    /// The name of an event code as `evt.type` shows it (`NA` for unused
    /// codes inside the universe), `None` outside the universe.
    pub fn event_name(&self, code: u16) -> Option<&'static str> {
        if (code as usize) >= EVENT_CODE_UNIVERSE {
            return None;
        }
        Some(self.event(code).map(|e| e.name).unwrap_or("NA"))
    }

    /// Whether `evt.type = name` is accepted: an event-table name, a
    /// system-call name, or an async event name of one of `plugins`.
    pub fn is_event_type_name(&self, name: &str, plugins: &[&str]) -> bool {
        let names = Names {
            keys: &EVT_TYPE_KEYS,
            name: |i| EVT_TYPE_NAMES[i],
        };
        names.find(name).is_some() || self.async_event_plugin(name, plugins).is_some()
    }

    /// Every name valid as an `evt.type` value without plugins, sorted.
    pub fn event_type_names(&self) -> &'static [&'static str] {
        &EVT_TYPE_NAMES
    }

    /// The system-call names (`ppm_sc` names), sorted.
    pub fn syscall_names(&self) -> &'static [&'static str] {
        &SYSCALL_NAMES
    }

    /// Async event names declared by plugins, `(name, plugin)`, sorted.
    pub fn plugin_async_events(&self) -> &'static [(&'static str, &'static str)] {
        &PLUGIN_ASYNC_EVENTS
    }

    /// The loaded plugin (among `plugins`) that declares `name` as an async
    /// event.
    pub fn async_event_plugin(&self, name: &str, plugins: &[&str]) -> Option<&'static str> {
        PLUGIN_ASYNC_EVENTS
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, p)| *p)
            .find(|p| {
                plugins
                    .iter()
                    .any(|l| self.plugin(l).map(|i| i.name) == Some(*p))
            })
    }

    /// The event codes of an `evt.type` name with no plugin loaded
    /// (libsinsp `names_to_event_set`): every code ≥ 2 carrying the name
    /// (enter, exit, legacy layouts; `NA` gives the unused codes); else, if
    /// the name is a system-call name, the two generic codes; else nothing.
    /// (`syscall`, the name of the generic codes themselves, gives nothing.)
    pub fn event_codes_for_name(&self, name: &str) -> &'static [u16] {
        if let Some((_, codes)) = find(&EVENT_NAME_CODES, |e| e.0, name) {
            return codes;
        }
        if SYSCALL_NAMES.binary_search(&name).is_ok() {
            return &GENERIC_EVENT_CODES;
        }
        &[]
    }

    /// [`Catalog::event_codes_for_name`] with loaded plugins: a plugin's
    /// async event name also stands for [`ASYNC_EVENT_CODE`] (and is then
    /// not looked up as a system call).
    pub fn event_codes_for_name_with_plugins(&self, name: &str, plugins: &[&str]) -> EventCodes {
        let async_event = self.async_event_plugin(name, plugins).is_some();
        if let Some((_, codes)) = find(&EVENT_NAME_CODES, |e| e.0, name) {
            return EventCodes { codes, async_event };
        }
        if async_event {
            return EventCodes {
                codes: &[],
                async_event,
            };
        }
        EventCodes {
            codes: self.event_codes_for_name(name),
            async_event,
        }
    }

    /// The first code (from 0) whose event-table name is `name`: what
    /// `evt.type.is.NAME` selects. Returns the static name too.
    pub fn event_name_first_code(&self, name: &str) -> Option<(&'static str, u16)> {
        find(&EVENT_NAME_FIRST_CODE, |e| e.0, name).copied()
    }

    /// The names valid after `evt.arg.` / `evt.rawarg.`, sorted.
    pub fn event_param_names(&self) -> &'static [EventParamName] {
        &EVENT_PARAM_NAMES
    }

    /// An event parameter name, exactly.
    pub fn event_param(&self, name: &str) -> Option<&'static EventParamName> {
        param_names().find(name).map(|i| &EVENT_PARAM_NAMES[i])
    }

    /// The longest event parameter name that is a prefix of `text` (how
    /// libsinsp decodes `evt.arg.<text>`).
    pub fn longest_event_param(&self, text: &str) -> Option<&'static EventParamName> {
        let mut out = [0u16; 16];
        let n = param_names().prefixes_of(text, &EVENT_PARAM_PREFIX_PARENT, &mut out);
        (n > 0).then(|| &EVENT_PARAM_NAMES[out[0] as usize])
    }
}

fn param_names() -> Names<'static, impl Fn(usize) -> &'static str> {
    Names {
        keys: &EVENT_PARAM_KEYS,
        name: |i| EVENT_PARAM_NAMES[i].name,
    }
}

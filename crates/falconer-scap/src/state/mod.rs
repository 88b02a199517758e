//! Process, fd, user and container state, maintained like libsinsp's
//! thread table as the events of a capture are applied in order.
//!
//! # How a driver uses it
//!
//! ```no_run
//! # fn main() -> Result<(), falconer_scap::ScapError> {
//! use falconer_scap::{state::State, ScapReader};
//! let mut r = ScapReader::open("trace.scap")?;
//! let mut state = State::from_reader_metadata(&r);
//! while let Some(ev) = r.next_event() {
//!     let ev = ev?;
//!     state.apply(&ev);          // 1. update the state (libsinsp's parser)
//!     // 2. evaluate filters / extract fields for `ev` against `state`
//! }
//! # Ok(()) }
//! ```
//!
//! # When an event changes the state (libsinsp's order)
//!
//! libsinsp's `sinsp::next` runs its parser on an event *before* the event
//! reaches the filters, so [`State::apply`] must be called before an event
//! is evaluated. What that means per case:
//!
//! * the exit of `execve` is evaluated with the *new* program (name, exe,
//!   args, ...), the enter with the old one;
//! * the exit of `clone`/`fork` in the child (or in the parent, when the
//!   child's own exit has not been seen) creates the child thread first;
//! * `open`/`socket`/`accept`... exits add their fd first, so the exit is
//!   evaluated with `fd.name` set;
//! * the removals are deferred, as libsinsp defers them: a `close` exit
//!   (successful) and a `procexit` are still evaluated with the fd /
//!   thread present; the fd or thread is removed when the *next* event is
//!   applied.
//!
//! This first version keeps the thread table (seeded from the process
//! list), the fd tables (seeded from the fd lists) and the users; the
//! event parsers are being filled in.

use std::collections::HashMap;
use std::io::Read;

use crate::meta::{FdInfo, ThreadInfo, UserList};
use crate::reader::ScapReader;
use crate::value::ParamValue;
use crate::Event;

/// One thread of the thread table.
#[derive(Clone, Debug, Default)]
pub struct Thread {
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    pub comm: Vec<u8>,
    pub exe: Vec<u8>,
    pub exepath: Vec<u8>,
    pub args: Vec<Vec<u8>>,
    pub cwd: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    /// The fd of the last enter event that uses one (libsinsp's
    /// `m_lastevent_fd`).
    pub lastevent_fd: i64,
    fds: HashMap<i64, Fd>,
}

/// One fd of a fd table.
#[derive(Clone, Debug, Default)]
pub struct Fd {
    pub name: Vec<u8>,
}

/// The state: see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct State {
    threads: HashMap<i64, Thread>,
    users: UserList,
    cur_tid: Option<i64>,
    cur_fd: Option<i64>,
    fds_to_remove: Vec<(i64, i64)>,
    tid_to_remove: Option<i64>,
}

impl Thread {
    fn from_info(t: &ThreadInfo) -> Thread {
        Thread {
            tid: t.tid,
            pid: t.pid,
            ptid: t.ptid,
            comm: t.comm.as_bytes().to_vec(),
            exe: t.exe.as_bytes().to_vec(),
            exepath: t.exepath.as_bytes().to_vec(),
            args: t.args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            cwd: t.cwd.as_bytes().to_vec(),
            uid: t.uid,
            gid: t.gid,
            lastevent_fd: -1,
            fds: HashMap::new(),
        }
    }

    /// The fd `fd` of this thread's table.
    pub fn fd(&self, fd: i64) -> Option<&Fd> {
        self.fds.get(&fd)
    }
}

impl State {
    pub fn new() -> State {
        State::default()
    }

    /// A state seeded with a reader's process, fd and user lists.
    pub fn from_reader_metadata<R: Read>(r: &ScapReader<R>) -> State {
        let mut s = State::new();
        for t in r.processes() {
            s.threads.insert(t.tid, Thread::from_info(t));
        }
        for l in r.fds() {
            if let Some(t) = s.threads.get_mut(&(l.tid as i64)) {
                for f in &l.fds {
                    t.fds.insert(f.fd, Fd::from_info(f));
                }
            }
        }
        if let Some(u) = r.users() {
            s.users = u.clone();
        }
        s
    }

    /// The thread with this id.
    pub fn thread(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// The thread of the event last applied.
    pub fn event_thread(&self) -> Option<&Thread> {
        self.thread(self.cur_tid?)
    }

    /// The fd of the event last applied (its number and entry).
    pub fn event_fd(&self) -> Option<(i64, &Fd)> {
        let fd = self.cur_fd?;
        Some((fd, self.event_thread()?.fd(fd)?))
    }

    /// The user and group list.
    pub fn users(&self) -> &UserList {
        &self.users
    }

    /// Applies one event (see the module documentation for the order).
    pub fn apply(&mut self, ev: &Event) {
        if let Some(tid) = self.tid_to_remove.take() {
            self.threads.remove(&tid);
        }
        for (tid, fd) in std::mem::take(&mut self.fds_to_remove) {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.fds.remove(&fd);
            }
        }
        let tid = ev.tid as i64;
        self.cur_tid = Some(tid);
        self.cur_fd = None;
        let Some(info) = ev.info() else { return };
        let uses_fd = info
            .flags
            .contains(falconer_catalog::EventFlags::USES_FD);
        let enter = ev.direction() == falconer_catalog::Direction::Enter;
        let t = self.threads.entry(tid).or_insert_with(|| Thread {
            tid,
            pid: tid,
            ptid: -1,
            comm: b"<NA>".to_vec(),
            exe: b"<NA>".to_vec(),
            uid: u32::MAX,
            gid: u32::MAX,
            lastevent_fd: -1,
            ..Thread::default()
        });
        if enter {
            t.lastevent_fd = -1;
            if uses_fd {
                if let Some(ParamValue::Fd(fd)) = ev.param(0).map(|p| p.value()) {
                    t.lastevent_fd = fd;
                }
            }
        }
        if uses_fd {
            self.cur_fd = Some(t.lastevent_fd);
        }
        match (info.name, enter) {
            ("open" | "openat" | "openat2" | "creat", false) => {
                if let (Some(ParamValue::Fd(fd)), Some(name)) = (
                    ev.value("fd"),
                    ev.value("name").and_then(|v| v.as_bytes().map(<[u8]>::to_vec)),
                ) {
                    if fd >= 0 {
                        t.fds.insert(fd, Fd { name });
                        self.cur_fd = Some(fd);
                    }
                }
            }
            ("close", false) => {
                if matches!(ev.value("res"), Some(ParamValue::Errno(r)) if r >= 0) {
                    self.fds_to_remove.push((tid, t.lastevent_fd));
                }
            }
            ("procexit", true) => self.tid_to_remove = Some(tid),
            _ => {}
        }
    }
}

impl Fd {
    fn from_info(f: &FdInfo) -> Fd {
        Fd {
            name: f.name().unwrap_or_default().as_bytes().to_vec(),
        }
    }
}

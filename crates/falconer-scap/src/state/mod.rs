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
//! A driver that reads blocks ([`ScapReader::next_block`]) passes metadata
//! blocks met after the first event to [`State::apply_block`].
//!
//! # When an event changes the state (libsinsp's order)
//!
//! libsinsp's `sinsp::next` runs its parser on an event *before* the event
//! is handed to the rule engine (Falco evaluates rules on the parsed
//! event), so [`State::apply`] must be called before an event is
//! evaluated. What that means per case:
//!
//! * the exit of `execve` is evaluated with the *new* program (name, exe,
//!   args, exepath, env...), its enter with the old one;
//! * the exit of `clone`/`fork`/`vfork`/`clone3` creates the child (in the
//!   caller's exit, or in the child's own exit when it comes first or the
//!   child runs in a pid namespace) before it is evaluated;
//! * `open`/`socket`/`accept`/`pipe`/`dup`... exits add their fds first, so
//!   the exit is evaluated with `fd.name` set; `connect`/`bind` exits fill
//!   the socket addresses first; `chdir` changes `proc.cwd` first;
//! * removals are deferred, as libsinsp defers them: a successful `close`
//!   exit and a `procexit` are still evaluated with the fd / thread
//!   present; the fd or thread is removed when the *next* event is applied
//!   (a main thread stays while other threads of its process remain).
//!
//! sysdig 0.29 (the project's oracle) evaluates a *filter* given on its
//! command line inside the parser, before the type-specific parsing, for
//! events that do not modify state; printing (`-p`) happens after the
//! full parse, as here.
//!
//! # What is kept
//!
//! * the thread table, seeded from the process list, maintained by the
//!   clone family, execve/execveat, procexit, chdir/fchdir, setuid
//!   family, setsid, setpgid (vpgid), chroot, prlimit/setrlimit, capset;
//!   parent chains (`ptid`) for the ancestor fields;
//! * fd tables (per process: threads share their main thread's table),
//!   seeded from the fd lists, maintained by open/openat/openat2/creat,
//!   socket/socketpair/connect/accept/accept4/bind/listen, send/recv
//!   families (datagram addresses), close/close_range, dup/dup2/dup3,
//!   fcntl(F_DUPFD), pipe/pipe2, eventfd, signalfd, timerfd, inotify,
//!   epoll_create, bpf, userfaultfd, io_uring_setup, memfd_create,
//!   pidfd_open/pidfd_getfd;
//! * users and groups: the capture's user list, `user_added`/`group_*`
//!   events, and `root` for uid/gid 0 as libsinsp adds it;
//! * containers: the id from the cgroups ([`container`]), metadata from
//!   `container` events (JSON).
//!
//! # Memory
//!
//! Bounded by the state, never by the number of events: at most
//! [`MAX_THREADS`] threads (libsinsp's thread table limit; further new
//! threads are not tracked), [`fd::MAX_FD_TABLE_SIZE`] fds per process,
//! [`MAX_CONTAINERS`] containers, [`MAX_USERS`] users and groups, one
//! stored enter event of at most 4 KiB per thread; `procexit` frees
//! threads, `close` fds.

pub mod container;
pub mod fd;
mod parse;
pub mod path;
mod thread;

use std::io::Read;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::meta::{Interface, MachineInfo, UserList};
use crate::reader::{Block, ScapReader};
use crate::Event;

pub use container::{Container, Mount};
pub use fd::{Fd, FdTable, Sock};
pub use thread::{clone_flags, Cgroups, Thread};

/// libsinsp's thread table limit.
pub const MAX_THREADS: usize = 131_072;
/// Bound on the container table.
pub const MAX_CONTAINERS: usize = 65_536;
/// Bound on the user entries (and on the group entries) over every
/// container's table; the number of tables is bounded by
/// [`MAX_CONTAINERS`].
pub const MAX_USERS: usize = 65_536;
/// Largest enter event kept for its exit (libsinsp `SP_EVT_BUF_SIZE`).
pub const MAX_STORED_ENTER_EVENT: usize = 4096;

/// A user (`scap_userinfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub name: Vec<u8>,
    pub homedir: Vec<u8>,
    pub shell: Vec<u8>,
}

/// A group (`scap_groupinfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    pub gid: u32,
    pub name: Vec<u8>,
}

/// What the last applied event refers to.
#[derive(Clone, Debug, Default)]
struct Current {
    /// The event's thread id, when the state tracks that thread for it.
    tid: Option<i64>,
    /// The fd whose entry is the event's fd (`evt->m_fdinfo`).
    fd: Option<i64>,
    /// `fd.num`: the thread's `m_lastevent_fd` after parsing, for events
    /// that create, use or destroy fds.
    fd_num: Option<i64>,
    /// Whether the event's fd entry existed before parsing (its name
    /// then is `State::old_fd_name`), for `fd.name_changed`.
    had_old_fd: bool,
    /// Container of a `container` event.
    container: Option<Vec<u8>>,
    /// `evt.latency` of an exit event (0 otherwise).
    latency: u64,
    /// The enter event an exit event was matched with.
    enter: Option<Box<Event>>,
}

/// Keeps the name buffers of a removed fd entry for [`State::take_buf`].
fn recycle_fd(spare: &mut Vec<Vec<u8>>, e: Fd) {
    for mut b in [e.name, e.name_raw] {
        if b.capacity() > 0 && b.capacity() <= MAX_SPARE_BUF_BYTES && spare.len() < MAX_SPARE_BUFS {
            b.clear();
            spare.push(b);
        }
    }
}

/// The state: see the module documentation.
#[derive(Clone, Debug)]
pub struct State {
    threads: FxHashMap<i64, Thread>,
    users: FxHashMap<Vec<u8>, FxHashMap<u32, User>>,
    groups: FxHashMap<Vec<u8>, FxHashMap<u32, Group>>,
    /// Entries of `users` / `groups` over every container (bounded by
    /// [`MAX_USERS`]).
    n_users: usize,
    n_groups: usize,
    containers: FxHashMap<Vec<u8>, Container>,
    host: Container,
    interfaces: Vec<Interface>,
    machine: Option<MachineInfo>,
    first_ts: u64,
    prev_ts: Option<u64>,
    last_ts: Option<u64>,
    cur: Current,
    tid_to_remove: Option<i64>,
    fds_to_remove: Vec<i64>,
    tid_of_fds_to_remove: i64,
    server_ports: std::collections::HashSet<u16>,
    recent_exits: std::collections::VecDeque<(i64, i64, u64)>,
    events: u64,
    /// A stored enter event's allocation, reused.
    spare_enter: Option<Box<Event>>,
    /// The name of the event's fd entry before the event was parsed.
    old_fd_name: Vec<u8>,
    /// Name buffers of removed fd entries (at most [`MAX_SPARE_BUFS`]),
    /// reused by the next opens: an open/close storm then allocates
    /// nothing per open.
    spare_bufs: Vec<Vec<u8>>,
    /// The cgroup sets seen, by the bytes of their `cgroups` parameter
    /// (at most [`MAX_CGROUP_SETS`] entries): processes share a few sets,
    /// each is parsed and matched to its container once.
    cgroup_sets: FxHashMap<Vec<u8>, Arc<Cgroups>>,
}

/// Size of the cache of cgroup sets.
const MAX_CGROUP_SETS: usize = 1024;

/// Spare name buffers kept ([`State::take_buf`]).
const MAX_SPARE_BUFS: usize = 64;
/// Larger buffers are freed rather than kept.
const MAX_SPARE_BUF_BYTES: usize = 4096;

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

impl State {
    /// An empty state (no process list).
    pub fn new() -> State {
        State {
            threads: FxHashMap::default(),
            users: FxHashMap::default(),
            groups: FxHashMap::default(),
            n_users: 0,
            n_groups: 0,
            containers: FxHashMap::default(),
            host: Container::host(),
            interfaces: Vec::new(),
            machine: None,
            first_ts: 0,
            prev_ts: None,
            last_ts: None,
            cur: Current::default(),
            tid_to_remove: None,
            fds_to_remove: Vec::new(),
            tid_of_fds_to_remove: -1,
            server_ports: Default::default(),
            recent_exits: Default::default(),
            events: 0,
            spare_enter: None,
            old_fd_name: Vec::new(),
            spare_bufs: Vec::new(),
            cgroup_sets: FxHashMap::default(),
        }
    }

    /// A state seeded with a reader's metadata: processes, fds, users,
    /// interfaces, machine info (as read before the first event).
    pub fn from_reader_metadata<R: Read>(r: &ScapReader<R>) -> State {
        let mut s = State::new();
        s.load_metadata(
            r.processes(),
            r.fds(),
            r.users(),
            r.interfaces(),
            r.machine_info(),
        );
        s
    }

    /// Seeds the tables (libsinsp's `sinsp::open` import of the capture's
    /// process, fd, user and interface lists).
    pub fn load_metadata(
        &mut self,
        processes: &[crate::ThreadInfo],
        fds: &[crate::FdList],
        users: Option<&UserList>,
        interfaces: &[Interface],
        machine: Option<&MachineInfo>,
    ) {
        for t in processes {
            self.add_process_entry(t);
        }
        for l in fds {
            self.add_fd_list(l);
        }
        if let Some(u) = users {
            self.add_user_list(u);
        }
        if !interfaces.is_empty() {
            self.interfaces = interfaces.to_vec();
        }
        if let Some(m) = machine {
            self.machine = Some(m.clone());
        }
        self.finish_import();
    }

    fn add_process_entry(&mut self, t: &crate::ThreadInfo) {
        if self.threads.len() >= MAX_THREADS && !self.threads.contains_key(&t.tid) {
            return;
        }
        let th = Thread::from_info(t);
        self.threads.insert(t.tid, th);
    }

    fn add_fd_list(&mut self, l: &crate::FdList) {
        let tid = l.tid as i64;
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        for f in &l.fds {
            if let Some(e) = Fd::from_info(f) {
                if let Sock::V4Server { port, .. } | Sock::V6Server { port, .. } = e.sock {
                    self.server_ports.insert(port);
                }
                t.fds.add(f.fd, e);
            }
        }
    }

    fn add_user_list(&mut self, u: &UserList) {
        for x in &u.users {
            self.add_user(
                b"",
                User {
                    uid: x.uid,
                    gid: x.gid,
                    name: x.name.as_bytes().to_vec(),
                    homedir: x.homedir.as_bytes().to_vec(),
                    shell: x.shell.as_bytes().to_vec(),
                },
            );
        }
        for g in &u.groups {
            self.add_group(
                b"",
                Group {
                    gid: g.gid,
                    name: g.name.as_bytes().to_vec(),
                },
            );
        }
    }

    /// After an import: thread counts, socket directions from the server
    /// ports (`fix_sockets_coming_from_proc`), users of the threads.
    fn finish_import(&mut self) {
        self.recount_threads();
        let ports = std::mem::take(&mut self.server_ports);
        for t in self.threads.values_mut() {
            for (_, f) in t.fds.iter_mut() {
                if let Sock::V4 {
                    sip,
                    sport,
                    dip,
                    dport,
                } = f.sock
                {
                    if f.fd_type == crate::fd_types::IPV4_SOCK {
                        if ports.contains(&sport) {
                            f.sock = Sock::V4 {
                                sip: dip,
                                sport: dport,
                                dip: sip,
                                dport: sport,
                            };
                            f.name = f.socket_name();
                            f.set_role_server();
                        } else {
                            f.set_role_client();
                        }
                    }
                }
            }
        }
        self.server_ports = ports;
        let ids: Vec<(Vec<u8>, u32, u32)> = self
            .threads
            .values()
            .map(|t| (t.container_id.clone(), t.uid, t.gid))
            .collect();
        for (c, uid, gid) in ids {
            self.ensure_user(&c, uid);
            self.ensure_group(&c, gid);
        }
    }

    fn recount_threads(&mut self) {
        let mut counts: FxHashMap<i64, u64> = FxHashMap::default();
        for t in self.threads.values() {
            if t.flags & clone_flags::CLONE_THREAD != 0 && t.tid != t.pid {
                *counts.entry(t.pid).or_default() += 1;
            }
        }
        for t in self.threads.values_mut() {
            t.nchilds = counts.get(&t.tid).copied().unwrap_or(0);
        }
    }

    /// Applies a block read with [`ScapReader::next_block`]: events go to
    /// [`State::apply`], metadata blocks met after the first event are
    /// imported, a new section restarts the state.
    pub fn apply_block(&mut self, b: &Block) {
        match b {
            Block::Event(e) => self.apply(e),
            Block::SectionHeader(_) => *self = State::new(),
            Block::Processes(p) => {
                for t in p {
                    self.add_process_entry(t);
                }
                self.finish_import();
            }
            Block::Fds(l) => {
                self.add_fd_list(l);
                self.finish_import();
            }
            Block::Users(u) => self.add_user_list(u),
            Block::Interfaces(i) => self.interfaces = i.clone(),
            Block::MachineInfo(m) => self.machine = Some(m.clone()),
            _ => {}
        }
    }

    /// Applies one event: libsinsp's deferred removals of the previous
    /// event, then its `reset` (thread and fd of the event) and the parser
    /// for the event type. See the module documentation for the order.
    pub fn apply(&mut self, ev: &Event) {
        self.events += 1;
        if let Some(tid) = self.tid_to_remove.take() {
            self.remove_thread(tid, false);
        }
        if !self.fds_to_remove.is_empty() {
            // The list's allocation stays for the next removals.
            let mut fds = std::mem::take(&mut self.fds_to_remove);
            if let Some(owner) = self.fd_owner(self.tid_of_fds_to_remove) {
                if let Some(t) = self.threads.get_mut(&owner) {
                    for &fd in &fds {
                        if let Some(e) = t.fds.remove(fd) {
                            recycle_fd(&mut self.spare_bufs, e);
                        }
                    }
                }
            }
            fds.clear();
            self.fds_to_remove = fds;
        }
        if self.first_ts == 0 && !parse::is_container_event(ev.code) {
            self.first_ts = ev.ts;
        }
        self.prev_ts = self.last_ts;
        self.last_ts = Some(ev.ts);
        if let Some(e) = self.cur.enter.take() {
            self.spare_enter = Some(e);
        }
        self.cur = Current::default();
        parse::process(self, ev);
    }

    // -----------------------------------------------------------------
    // Thread table helpers

    pub(crate) fn thread_mut(&mut self, tid: i64) -> Option<&mut Thread> {
        self.threads.get_mut(&tid)
    }

    /// The thread, or a placeholder created for it (libsinsp's lookup with
    /// `query_os`: a capture has no /proc to query). `None` when the table
    /// is full.
    pub(crate) fn get_or_create_thread(&mut self, tid: i64) -> Option<&mut Thread> {
        let full = self.threads.len() >= MAX_THREADS;
        match self.threads.entry(tid) {
            std::collections::hash_map::Entry::Occupied(e) => Some(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(_) if full => None,
            std::collections::hash_map::Entry::Vacant(e) => {
                Some(e.insert(Thread::placeholder(tid)))
            }
        }
    }

    pub(crate) fn insert_thread(&mut self, t: Thread) -> bool {
        if self.threads.len() >= MAX_THREADS && !self.threads.contains_key(&t.tid) {
            return false;
        }
        if t.flags & clone_flags::CLONE_THREAD != 0 && t.tid != t.pid {
            if let Some(m) = self.threads.get_mut(&t.pid) {
                m.nchilds += 1;
            }
        }
        self.threads.insert(t.tid, t);
        true
    }

    /// libsinsp `remove_thread`: a main thread with other threads is kept
    /// unless `force`.
    pub(crate) fn remove_thread(&mut self, tid: i64, force: bool) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        if t.nchilds != 0 && !force {
            return;
        }
        let (is_thread, pid, nchilds) = (
            t.flags & clone_flags::CLONE_THREAD != 0 && t.tid != t.pid,
            t.pid,
            t.nchilds,
        );
        if is_thread {
            if let Some(m) = self.threads.get_mut(&pid) {
                m.nchilds = m.nchilds.saturating_sub(1);
            }
        }
        self.threads.remove(&tid);
        if nchilds != 0 {
            self.recount_threads();
        }
    }

    /// The tid whose table holds `tid`'s fds (`get_fd_table`: the main
    /// thread's when the thread shares its files).
    pub(crate) fn fd_owner(&self, tid: i64) -> Option<i64> {
        let t = self.threads.get(&tid)?;
        if t.flags & clone_flags::CLONE_FILES == 0 {
            Some(tid)
        } else {
            let m = self.main_thread_tid(t)?;
            Some(m)
        }
    }

    fn main_thread_tid(&self, t: &Thread) -> Option<i64> {
        if t.is_main_thread() {
            Some(t.tid)
        } else {
            self.threads.get(&t.pid).map(|m| m.tid)
        }
    }

    pub(crate) fn fd_table_mut(&mut self, tid: i64) -> Option<&mut FdTable> {
        let owner = self.fd_owner(tid)?;
        self.threads.get_mut(&owner).map(|t| &mut t.fds)
    }

    pub(crate) fn fd_mut(&mut self, tid: i64, fd: i64) -> Option<&mut Fd> {
        self.fd_table_mut(tid)?.get_mut(fd)
    }

    /// Adds an fd to `tid`'s table and makes it the event's fd (libsinsp
    /// `add_fd`, which also sets `m_lastevent_fd`).
    pub(crate) fn add_fd(&mut self, tid: i64, fd: i64, e: Fd) {
        if let Some(t) = self.fd_table_mut(tid) {
            t.add(fd, e);
        }
        if let Some(t) = self.threads.get_mut(&tid) {
            t.lastevent_fd = fd;
        }
        self.cur.fd = Some(fd);
    }

    /// An empty buffer for an fd entry's name: a removed entry's, or new.
    pub(crate) fn take_buf(&mut self) -> Vec<u8> {
        self.spare_bufs.pop().unwrap_or_default()
    }

    /// Schedules the removal of an fd after this event.
    pub(crate) fn schedule_fd_removal(&mut self, tid: i64, fd: i64) {
        self.tid_of_fds_to_remove = tid;
        self.fds_to_remove.push(fd);
    }

    pub(crate) fn schedule_thread_removal(&mut self, tid: i64) {
        self.tid_to_remove = Some(tid);
    }

    /// Remembers a thread exit (current libs' recently-exited ring: a
    /// caller's late clone exit does not re-create a child that already
    /// exited).
    pub(crate) fn record_exit(&mut self, tid: i64, ptid: i64, ts: u64) {
        if self.recent_exits.len() >= 64 {
            self.recent_exits.pop_front();
        }
        self.recent_exits.push_back((tid, ptid, ts));
    }

    pub(crate) fn recently_exited(&self, tid: i64, ptid: i64, ts: u64) -> bool {
        self.recent_exits
            .iter()
            .any(|&(t, p, x)| t == tid && p == ptid && ts >= x && ts - x < 2_000_000_000)
    }

    pub(crate) fn fd_table_of_tid(&self, tid: i64) -> Option<&FdTable> {
        let owner = self.fd_owner(tid)?;
        self.threads.get(&owner).map(|t| &t.fds)
    }

    pub(crate) fn cwd_of(&self, tid: i64) -> &[u8] {
        match self.threads.get(&tid) {
            Some(t) => self.cwd(t),
            None => b"./",
        }
    }

    pub(crate) fn set_cwd_of(&mut self, tid: i64, new: &[u8]) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let Some(main) = self.main_thread_tid(t) else {
            return;
        };
        if let Some(m) = self.threads.get_mut(&main) {
            m.cwd = thread::normalise_cwd(&m.cwd, new);
        }
    }

    /// The shared cgroup set of a `cgroups` parameter.
    pub(crate) fn cgroup_set(&mut self, raw: &[u8]) -> Arc<Cgroups> {
        if let Some(c) = self.cgroup_sets.get(raw) {
            return c.clone();
        }
        let c = Arc::new(Cgroups::from_buffer(raw));
        if self.cgroup_sets.len() >= MAX_CGROUP_SETS {
            self.cgroup_sets.clear();
        }
        self.cgroup_sets.insert(raw.to_vec(), c.clone());
        c
    }

    /// Whether [`State::ensure_user`] would add a root user.
    pub(crate) fn lacks_root_user(&self, container: &[u8], uid: u32) -> bool {
        uid == 0
            && !self
                .users
                .get(container)
                .is_some_and(|t| t.contains_key(&0))
    }

    /// Whether [`State::ensure_group`] would add a root group.
    pub(crate) fn lacks_root_group(&self, container: &[u8], gid: u32) -> bool {
        gid == 0
            && !self
                .groups
                .get(container)
                .is_some_and(|t| t.contains_key(&0))
    }

    /// The root user of a container's table, added when a thread of the
    /// container runs as root and the table has none (current libs add it
    /// when they meet the container).
    pub(crate) fn ensure_user(&mut self, container: &[u8], uid: u32) {
        if !self.lacks_root_user(container, uid) {
            return;
        }
        self.add_user(
            container,
            User {
                uid: 0,
                gid: 0,
                name: b"root".to_vec(),
                homedir: b"/root".to_vec(),
                shell: Vec::new(),
            },
        );
    }

    pub(crate) fn ensure_group(&mut self, container: &[u8], gid: u32) {
        if !self.lacks_root_group(container, gid) {
            return;
        }
        self.add_group(
            container,
            Group {
                gid: 0,
                name: b"root".to_vec(),
            },
        );
    }

    /// Adds or replaces a user; a new entry beyond [`MAX_USERS`] entries
    /// (over all containers) or [`MAX_CONTAINERS`] tables is dropped.
    pub(crate) fn add_user(&mut self, container: &[u8], u: User) {
        if let Some(t) = self.users.get_mut(container) {
            if let Some(old) = t.get_mut(&u.uid) {
                *old = u;
                return;
            }
            if self.n_users < MAX_USERS {
                t.insert(u.uid, u);
                self.n_users += 1;
            }
        } else if self.n_users < MAX_USERS && self.users.len() < MAX_CONTAINERS {
            let mut t = FxHashMap::default();
            t.insert(u.uid, u);
            self.users.insert(container.to_vec(), t);
            self.n_users += 1;
        }
    }

    pub(crate) fn remove_user(&mut self, container: &[u8], uid: u32) {
        if let Some(t) = self.users.get_mut(container) {
            if t.remove(&uid).is_some() {
                self.n_users -= 1;
            }
            if t.is_empty() {
                self.users.remove(container);
            }
        }
    }

    /// Adds or replaces a group (bounded like [`State::add_user`]).
    pub(crate) fn add_group(&mut self, container: &[u8], g: Group) {
        if let Some(t) = self.groups.get_mut(container) {
            if let Some(old) = t.get_mut(&g.gid) {
                *old = g;
                return;
            }
            if self.n_groups < MAX_USERS {
                t.insert(g.gid, g);
                self.n_groups += 1;
            }
        } else if self.n_groups < MAX_USERS && self.groups.len() < MAX_CONTAINERS {
            let mut t = FxHashMap::default();
            t.insert(g.gid, g);
            self.groups.insert(container.to_vec(), t);
            self.n_groups += 1;
        }
    }

    pub(crate) fn remove_group(&mut self, container: &[u8], gid: u32) {
        if let Some(t) = self.groups.get_mut(container) {
            if t.remove(&gid).is_some() {
                self.n_groups -= 1;
            }
            if t.is_empty() {
                self.groups.remove(container);
            }
        }
    }

    pub(crate) fn add_container(&mut self, c: Container) -> Vec<u8> {
        let id = c.id.as_bytes().to_vec();
        if self.containers.len() < MAX_CONTAINERS || self.containers.contains_key(&id) {
            self.containers.insert(id.clone(), c);
        }
        id
    }

    // -----------------------------------------------------------------
    // Read access

    /// Number of events applied.
    pub fn events_applied(&self) -> u64 {
        self.events
    }

    /// The thread with this id.
    pub fn thread(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// Number of threads in the table.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// Every thread, in no particular order.
    pub fn threads(&self) -> impl Iterator<Item = &Thread> + '_ {
        self.threads.values()
    }

    /// The thread of the event last applied, if the state tracks it
    /// (libsinsp's `evt->get_thread_info()`).
    pub fn event_thread(&self) -> Option<&Thread> {
        self.thread(self.cur.tid?)
    }

    /// The fd number of the event last applied (`fd.num`): set for events
    /// that create, use or destroy fds and have a thread.
    pub fn event_fd_num(&self) -> Option<i64> {
        self.cur.fd_num
    }

    /// The fd entry of the event last applied (libsinsp's
    /// `evt->get_fd_info()`, with the `m_lastevent_fd` fallback of the fd
    /// fields).
    pub fn event_fd(&self) -> Option<(i64, &Fd)> {
        if self.cur.fd.is_none() && self.cur.fd_num.is_none() {
            return None;
        }
        self.event_fd_of(self.event_thread()?)
    }

    /// [`State::event_thread`] and [`State::event_fd`] together (the
    /// thread looked up once).
    pub fn event_thread_and_fd(&self) -> (Option<&Thread>, Option<(i64, &Fd)>) {
        let Some(t) = self.event_thread() else {
            return (None, None);
        };
        if self.cur.fd.is_none() && self.cur.fd_num.is_none() {
            return (Some(t), None);
        }
        (Some(t), self.event_fd_of(t))
    }

    /// [`State::event_fd`] given the event's thread.
    #[inline]
    fn event_fd_of<'a>(&'a self, t: &'a Thread) -> Option<(i64, &'a Fd)> {
        let table = self.fd_table(t)?;
        if let Some(fd) = self.cur.fd {
            if let Some(f) = table.get(fd) {
                return Some((fd, f));
            }
        }
        let n = self.cur.fd_num?;
        if n == -1 {
            return None;
        }
        Some((n, table.get(n)?))
    }

    /// Whether the event's fd name was changed by the event
    /// (`fd.name_changed`).
    pub fn event_fd_name_changed(&self) -> bool {
        // libsinsp compares with the name at the fd's lookup before
        // parsing; an entry created by the event starts with an empty
        // old name.
        match (self.cur.had_old_fd, self.event_fd()) {
            (true, Some((_, new))) => self.old_fd_name != new.name,
            (false, Some((_, new))) => !new.name.is_empty(),
            _ => false,
        }
    }

    /// The container a `container` event describes.
    pub fn event_container(&self) -> Option<&Container> {
        self.containers.get(self.cur.container.as_ref()?)
    }

    /// `evt.latency` of the event last applied (exit events following
    /// their enter event; 0 otherwise).
    pub fn event_latency(&self) -> u64 {
        self.cur.latency
    }

    /// The enter event the last applied exit event was matched with (its
    /// parameters complete an older exit layout, as current libs' event
    /// converter merges them).
    pub fn event_enter(&self) -> Option<&Event> {
        self.cur.enter.as_deref()
    }

    /// The main thread of `t`'s process (`t` itself for a main thread).
    pub fn main_thread<'a>(&'a self, t: &'a Thread) -> Option<&'a Thread> {
        if t.is_main_thread() {
            Some(t)
        } else {
            self.threads.get(&t.pid)
        }
    }

    /// The fd table of `t` (its main thread's when files are shared).
    pub fn fd_table<'a>(&'a self, t: &'a Thread) -> Option<&'a FdTable> {
        if t.flags & clone_flags::CLONE_FILES == 0 {
            Some(&t.fds)
        } else {
            self.main_thread(t).map(|m| &m.fds)
        }
    }

    /// An fd of `t`'s process.
    pub fn fd_of<'a>(&'a self, t: &'a Thread, fd: i64) -> Option<&'a Fd> {
        self.fd_table(t)?.get(fd)
    }

    /// The working directory of `t` (its main thread's), ending in `/`.
    pub fn cwd<'a>(&'a self, t: &'a Thread) -> &'a [u8] {
        match self.main_thread(t) {
            Some(m) => &m.cwd,
            None => b"./",
        }
    }

    /// The environment of `t` (its main thread's).
    pub fn env<'a>(&'a self, t: &'a Thread) -> &'a [Vec<u8>] {
        match self.main_thread(t) {
            Some(m) => &m.env,
            None => &t.env,
        }
    }

    /// [`State::env`] shared (for a child process, which starts with it).
    pub(crate) fn env_shared(&self, t: &Thread) -> Arc<[Vec<u8>]> {
        match self.main_thread(t) {
            Some(m) => m.env.clone(),
            None => t.env.clone(),
        }
    }

    /// The parent process of `t` (`get_ancestor_process(t, 1)`: the main
    /// thread of the parent of `t`'s main thread).
    pub fn parent<'a>(&'a self, t: &'a Thread) -> Option<&'a Thread> {
        self.ancestor(t, 1)
    }

    /// The `n`-th ancestor process of `t` (0: `t`'s main thread).
    pub fn ancestor<'a>(&'a self, t: &'a Thread, n: u32) -> Option<&'a Thread> {
        let mut mt = self.main_thread(t)?;
        for _ in 0..n {
            let p = self.threads.get(&mt.ptid)?;
            mt = self.main_thread(p)?;
        }
        Some(mt)
    }

    /// The ancestors of `t`'s main thread, parent first (see
    /// [`State::parent_chain`]).
    pub fn ancestors<'a>(&'a self, t: &'a Thread) -> Ancestors<'a> {
        match self.main_thread(t) {
            Some(m) => self.parent_chain(m),
            None => Ancestors {
                state: self,
                slow: None,
                fast: None,
                done: true,
            },
        }
    }

    /// The parents of `t` itself, following `ptid` links (libsinsp
    /// `traverse_parent_state`: stops at a missing parent, at tid -1 and
    /// at a loop).
    pub fn parent_chain<'a>(&'a self, t: &'a Thread) -> Ancestors<'a> {
        let slow = self.threads.get(&t.ptid);
        let fast = slow.and_then(|s| self.threads.get(&s.ptid));
        Ancestors {
            state: self,
            slow,
            fast,
            done: false,
        }
    }

    /// The user `uid` as seen by processes of `container` (empty: host).
    pub fn user(&self, container: &[u8], uid: u32) -> Option<&User> {
        self.users.get(container)?.get(&uid)
    }

    pub fn group(&self, container: &[u8], gid: u32) -> Option<&Group> {
        self.groups.get(container)?.get(&gid)
    }

    /// The metadata of a container (`host` for an empty id).
    pub fn container(&self, id: &[u8]) -> Option<&Container> {
        if id.is_empty() {
            Some(&self.host)
        } else {
            self.containers.get(id)
        }
    }

    /// Timestamp of the first event (excluding container events), 0 before
    /// any.
    pub fn first_ts(&self) -> u64 {
        self.first_ts
    }

    /// Timestamp of the event applied before the last one.
    pub fn prev_ts(&self) -> Option<u64> {
        self.prev_ts
    }

    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    pub fn machine_info(&self) -> Option<&MachineInfo> {
        self.machine.as_ref()
    }

    /// Whether an IPv4 address belongs to the machine (libsinsp
    /// `is_ipv4addr_in_local_machine`): the container's IP for a container
    /// process, else an interface address.
    pub fn is_local_ipv4(&self, t: &Thread, ip: std::net::Ipv4Addr) -> bool {
        if !t.container_id.is_empty() {
            // The container's own address when known (then the host's
            // interfaces), else any container's address and nothing else.
            match self.containers.get(&t.container_id) {
                Some(c) if !c.ip.is_empty() => {
                    if c.ip.parse::<std::net::Ipv4Addr>().ok() == Some(ip) {
                        return true;
                    }
                }
                _ => {
                    return self
                        .containers
                        .values()
                        .any(|c| c.ip.parse::<std::net::Ipv4Addr>().ok() == Some(ip));
                }
            }
        }
        self.interfaces
            .iter()
            .any(|i| i.addr == std::net::IpAddr::V4(ip))
    }

    /// Whether an IPv6 address belongs to the machine (same /64 as an
    /// interface address; never for container processes).
    pub fn is_local_ipv6(&self, t: &Thread, ip: std::net::Ipv6Addr) -> bool {
        if !t.container_id.is_empty() {
            return false;
        }
        let o = ip.octets();
        self.interfaces.iter().any(|i| match i.addr {
            std::net::IpAddr::V6(a) => a.octets()[..8] == o[..8],
            _ => false,
        })
    }

    /// Approximate heap bytes held (threads, fds, users, containers), for
    /// memory-bound checks.
    pub fn approx_heap_bytes(&self) -> usize {
        let threads: usize = self.threads.values().map(|t| t.heap_size() + 512).sum();
        let users: usize = self
            .users
            .values()
            .flat_map(|m| m.values())
            .map(|u| u.name.len() + u.homedir.len() + u.shell.len() + 64)
            .sum();
        let containers: usize = self
            .containers
            .values()
            .map(|c| {
                c.id.len()
                    + c.name.len()
                    + c.image.len()
                    + c.labels
                        .iter()
                        .map(|(k, v)| k.len() + v.len() + 64)
                        .sum::<usize>()
                    + c.mounts.len() * 128
                    + 256
            })
            .sum();
        threads + users + containers
    }
}

/// Iterator over the ancestor processes of a thread (see
/// [`State::ancestors`]).
pub struct Ancestors<'a> {
    state: &'a State,
    slow: Option<&'a Thread>,
    fast: Option<&'a Thread>,
    done: bool,
}

impl<'a> Iterator for Ancestors<'a> {
    type Item = &'a Thread;

    fn next(&mut self) -> Option<&'a Thread> {
        if self.done {
            return None;
        }
        let cur = match self.slow {
            Some(s) if s.tid != -1 => s,
            _ => {
                self.done = true;
                return None;
            }
        };
        // Advance (slow one step, fast two), detecting a loop as libsinsp
        // does; the current one is still visited.
        let st = self.state;
        self.slow = st.threads.get(&cur.ptid);
        for _ in 0..2 {
            self.fast = self.fast.and_then(|f| st.threads.get(&f.ptid));
            if let Some(s) = self.slow {
                let same = self.fast.is_some_and(|f| std::ptr::eq(f, s));
                if same || s.tid == s.ptid {
                    self.slow = None;
                    self.done = true;
                    break;
                }
            }
        }
        Some(cur)
    }
}

//! Support for live tests, benchmarks and fixture recording: why the
//! probe cannot run here (so tests skip with a reason), and hand-made
//! cgroups that give processes docker-like container context without a
//! container runtime or image pulls.
//!
//! - [`Cgroups::docker`] makes `/sys/fs/cgroup/cpu/docker/<id>` (cgroup v1
//!   cpu hierarchy) and `/sys/fs/cgroup/unified/system.slice/docker-<id>.scope`
//!   (or `/sys/fs/cgroup/system.slice/...` on a pure cgroup v2 machine):
//!   the paths docker's cgroupfs and systemd drivers use, from which the
//!   container plugin takes the container id.
//! - [`Cgroups::host_scope`] makes a child of this process's own memory
//!   cgroup named `*.scope`, for "host" processes on machines whose
//!   session cgroup itself looks like a container to the container
//!   plugin's matchers (here: `/process_api/<32 hex>` matches its
//!   containerd-namespace rule); a systemd unit name matches no rule.
//!
//! Everything created is removed on drop (after the processes in it are
//! gone), parents included when they were created here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use falconer_scap::state::container::match_cgroup;

/// Why live captures cannot run here (`None`: they can).
pub fn skip_reason() -> Option<String> {
    match crate::loader::probe_available() {
        Ok(()) => None,
        Err(e) => Some(e.to_string()),
    }
}

/// A set of cgroup directories processes can be moved into.
#[derive(Debug, Default)]
pub struct Cgroups {
    /// `cgroup.procs` files to write the process id into, in order.
    procs: Vec<PathBuf>,
    /// Directories created (removed in reverse order).
    created: Vec<PathBuf>,
}

fn mkdir_tracked(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        cur = d.parent();
    }
    for d in missing.into_iter().rev() {
        std::fs::create_dir(&d)?;
        created.push(d);
    }
    Ok(())
}

/// The unified (cgroup v2) mount: `/sys/fs/cgroup/unified` on hybrid
/// machines, `/sys/fs/cgroup` on pure v2 ones.
fn unified_root() -> Option<PathBuf> {
    for p in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] {
        let p = PathBuf::from(p);
        if p.join("cgroup.controllers").exists() {
            return Some(p);
        }
    }
    None
}

/// This process's cgroup path in a v1 hierarchy with `controller`.
fn own_v1_path(controller: &str) -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|l| {
        let mut p = l.splitn(3, ':');
        let (_, ctrls, path) = (p.next()?, p.next()?, p.next()?);
        ctrls
            .split(',')
            .any(|c| c == controller)
            .then(|| path.to_string())
    })
}

impl Cgroups {
    /// Docker-named cgroups for container id `id64` (64 hex digits).
    pub fn docker(id64: &str) -> std::io::Result<Cgroups> {
        let mut c = Cgroups::default();
        let cpu = Path::new("/sys/fs/cgroup/cpu");
        if cpu.join("cgroup.procs").exists() {
            let d = cpu.join("docker").join(id64);
            mkdir_tracked(&d, &mut c.created)?;
            c.procs.push(d.join("cgroup.procs"));
        }
        if let Some(u) = unified_root() {
            let d = u.join("system.slice").join(format!("docker-{id64}.scope"));
            if mkdir_tracked(&d, &mut c.created).is_ok() {
                c.procs.push(d.join("cgroup.procs"));
            }
        }
        if c.procs.is_empty() {
            return Err(std::io::Error::other("no cpu or unified cgroup hierarchy"));
        }
        Ok(c)
    }

    /// A `<name>.scope` child of this process's memory cgroup, when that
    /// cgroup looks like a container (see the module documentation);
    /// empty otherwise.
    pub fn host_scope(name: &str) -> std::io::Result<Cgroups> {
        let mut c = Cgroups::default();
        let Some(path) = own_v1_path("memory") else {
            return Ok(c);
        };
        if match_cgroup(path.as_bytes()).is_none() {
            return Ok(c);
        }
        let base = Path::new("/sys/fs/cgroup/memory").join(path.trim_start_matches('/'));
        let d = base.join(format!("{name}.scope"));
        mkdir_tracked(&d, &mut c.created)?;
        c.procs.push(d.join("cgroup.procs"));
        Ok(c)
    }

    /// Both sets (moves go to each).
    pub fn and(mut self, mut other: Cgroups) -> Cgroups {
        self.procs.append(&mut other.procs);
        self.created.append(&mut other.created);
        self
    }

    /// The `cgroup.procs` files.
    pub fn procs_files(&self) -> &[PathBuf] {
        &self.procs
    }

    /// `argv` wrapped so that the process first moves itself into these
    /// cgroups, then execs: `/bin/sh -c 'echo $$ > F && ... && exec "$@"'
    /// sh ARGV...`.
    pub fn wrap(&self, argv: &[&str]) -> Vec<String> {
        let mut script = String::new();
        for f in &self.procs {
            script.push_str(&format!("echo $$ > '{}' && ", f.display()));
        }
        script.push_str("exec \"$@\"");
        let mut out = vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            script,
            "sh".to_string(),
        ];
        out.extend(argv.iter().map(|s| s.to_string()));
        out
    }

    /// [`Cgroups::wrap`] with the command's standard output discarded
    /// (so it does not mix with alerts printed on the same output).
    pub fn wrap_quiet(&self, argv: &[&str]) -> Vec<String> {
        let mut w = self.wrap(argv);
        w[2].push_str(" > /dev/null");
        w
    }

    /// Removes the created directories (waits up to 5 s for their
    /// processes to be gone).
    pub fn remove(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut errors = Vec::new();
        while let Some(d) = self.created.pop() {
            loop {
                match std::fs::remove_dir(&d) {
                    Ok(()) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                    Err(e) => {
                        if Instant::now() >= deadline {
                            errors.push(format!("{}: {e}", d.display()));
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        if let Err(e) = self.remove() {
            eprintln!("falconer-probe: could not remove test cgroups: {e}");
        }
    }
}

/// A container id for tests: 64 hex digits from a tag.
pub fn container_id(tag: &str) -> String {
    let h = falconer_scap_hash(tag.as_bytes());
    let mut s = String::new();
    for i in 0..4 {
        s.push_str(&format!(
            "{:016x}",
            h.rotate_left(i * 16) ^ 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1)
        ));
    }
    s
}

fn falconer_scap_hash(b: &[u8]) -> u64 {
    // FNV-1a: stable ids across runs.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h ^= c as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_docker_shaped() {
        let id = container_id("x");
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(id, container_id("x"));
        assert_ne!(id, container_id("y"));
        let (short, _) = match_cgroup(format!("/docker/{id}").as_bytes()).unwrap();
        assert_eq!(short, id.as_bytes()[..12].to_vec());
    }

    #[test]
    fn wrapping_moves_then_execs() {
        let c = Cgroups {
            procs: vec![PathBuf::from("/a/cgroup.procs")],
            created: Vec::new(),
        };
        let w = c.wrap(&["curl", "--version"]);
        assert_eq!(w[0], "/bin/sh");
        assert_eq!(w[2], "echo $$ > '/a/cgroup.procs' && exec \"$@\"");
        assert_eq!(&w[3..], &["sh", "curl", "--version"]);
    }
}

//! Containers: the container id of a thread from its cgroups, and the
//! container metadata carried by `container` events.
//!
//! The id is found as Falco's `container` plugin (and libsinsp before it)
//! finds it: each cgroup path of the thread, in order, is offered to the
//! matchers podman, docker, cri (cri-o, containerd), containerd
//! namespaces, lxc, libvirt-lxc; the first match gives the id (the first
//! 12 characters of a 64-hex-digit id for the runc-style layouts).

use std::collections::BTreeMap;

/// `container_type` values of the container event JSON.
pub mod container_types {
    pub const DOCKER: u32 = 0;
    pub const LXC: u32 = 1;
    pub const LIBVIRT_LXC: u32 = 2;
    pub const MESOS: u32 = 3;
    pub const RKT: u32 = 4;
    pub const CUSTOM: u32 = 5;
    pub const CRI: u32 = 6;
    pub const CONTAINERD: u32 = 7;
    pub const CRIO: u32 = 8;
    pub const BPM: u32 = 9;
    pub const STATIC: u32 = 10;
    pub const PODMAN: u32 = 11;
    pub const HOST: u32 = 0xfffe;
    pub const UNKNOWN: u32 = 0xffff;
}

/// The name `container.type` shows for a type.
pub fn container_type_name(t: u32) -> &'static str {
    use container_types::*;
    match t {
        DOCKER => "docker",
        LXC => "lxc",
        LIBVIRT_LXC => "libvirt-lxc",
        MESOS => "mesos",
        CRI => "cri",
        CONTAINERD => "containerd",
        CRIO => "cri-o",
        RKT => "rkt",
        BPM => "bpm",
        PODMAN => "podman",
        HOST => "host",
        STATIC => "static",
        _ => "unknown",
    }
}

/// One mount of a container.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub dest: String,
    pub mode: String,
    pub rdwr: bool,
    pub propagation: String,
}

impl Mount {
    /// `source:dest:mode:rdwr:propagation`, as `container.mount` shows it.
    pub fn to_text(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.source, self.dest, self.mode, self.rdwr, self.propagation
        )
    }
}

/// Container metadata (from a `container` event or the host entry).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    pub full_id: String,
    pub kind: u32,
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub image_repo: String,
    pub image_tag: String,
    pub image_digest: String,
    pub privileged: bool,
    pub is_pod_sandbox: bool,
    pub ip: String,
    pub cni_json: String,
    pub host_pid: bool,
    pub host_network: bool,
    pub host_ipc: bool,
    pub pod_sandbox_id: String,
    pub labels: BTreeMap<String, String>,
    pub pod_sandbox_labels: BTreeMap<String, String>,
    pub mounts: Vec<Mount>,
    pub created_time: i64,
}

impl Container {
    /// The entry every host process maps to (`container.id` = `host`).
    pub fn host() -> Container {
        Container {
            id: "host".into(),
            full_id: "host".into(),
            name: "host".into(),
            kind: container_types::HOST,
            ..Container::default()
        }
    }

    /// Parses the JSON of a `container` event (`{"container": {...}}`),
    /// with the container plugin's defaults for absent keys. `None` if the
    /// text is not a JSON object with a `container` object.
    pub fn from_json(text: &[u8]) -> Option<Container> {
        let text = match text.iter().position(|&b| b == 0) {
            Some(i) => &text[..i],
            None => text,
        };
        let v: serde_json::Value = serde_json::from_slice(text).ok()?;
        let c = v.get("container")?.as_object()?;
        let s = |k: &str| {
            c.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let b = |k: &str| c.get(k).and_then(|x| x.as_bool()).unwrap_or(false);
        let map = |k: &str| {
            c.get(k)
                .and_then(|x| x.as_object())
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            let v = match v {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let mounts = c
            .get("Mounts")
            .and_then(|m| m.as_array())
            .map(|a| {
                a.iter()
                    .map(|m| {
                        let ms = |k: &str| {
                            m.get(k)
                                .and_then(|x| x.as_str())
                                .unwrap_or_default()
                                .to_string()
                        };
                        Mount {
                            source: ms("Source"),
                            dest: ms("Destination"),
                            mode: ms("Mode"),
                            rdwr: m.get("RW").and_then(|x| x.as_bool()).unwrap_or(false),
                            propagation: ms("Propagation"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Container {
            id: s("id"),
            full_id: s("full_id"),
            kind: c
                .get("type")
                .and_then(|x| x.as_u64())
                .map_or(container_types::UNKNOWN, |t| t as u32),
            name: s("name"),
            image: s("image"),
            image_id: s("imageid"),
            image_repo: s("imagerepo"),
            image_tag: s("imagetag"),
            image_digest: s("imagedigest"),
            privileged: b("privileged"),
            is_pod_sandbox: b("is_pod_sandbox"),
            ip: match c.get("ip") {
                Some(serde_json::Value::String(s)) => s.clone(),
                _ => String::new(),
            },
            cni_json: s("cni_json"),
            host_pid: b("host_pid"),
            host_network: b("host_network"),
            host_ipc: b("host_ipc"),
            pod_sandbox_id: s("pod_sandbox_id"),
            labels: map("labels"),
            pod_sandbox_labels: map("pod_sandbox_labels"),
            mounts,
            created_time: c.get("created_time").and_then(|x| x.as_i64()).unwrap_or(0),
        })
    }
}

const ID_LEN: usize = 64;
const SHORT_ID_LEN: usize = 12;

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// libsinsp's `match_one_container_id`: the cgroup ends with
/// `<prefix><id><suffix>` (last occurrences). `containerd` enables the
/// containerd-namespace rule for shorter ids.
fn match_one(cgroup: &[u8], prefix: &[u8], suffix: &[u8], containerd: bool) -> Option<Vec<u8>> {
    let start = rfind(cgroup, prefix)? + prefix.len();
    let end = if suffix.is_empty() {
        cgroup.len()
    } else {
        rfind(cgroup, suffix)?
    };
    if end < start {
        return None;
    }
    let len = end - start;
    // The hex check looks at the first non-hex byte from `start`, compared
    // against the id length (as libsinsp does).
    let first_non_hex = cgroup[start..]
        .iter()
        .position(|&b| !is_hex(b))
        .map_or(usize::MAX, |p| p + start);
    if len == ID_LEN && first_non_hex >= ID_LEN {
        return Some(cgroup[start..start + SHORT_ID_LEN].to_vec());
    }
    if len > ID_LEN || len == 0 {
        return None;
    }
    if containerd
        && !cgroup.ends_with(b".service")
        && !cgroup.ends_with(b".slice")
        && !cgroup.ends_with(b".scope")
    {
        let n = len.min(SHORT_ID_LEN);
        return Some(cgroup[start..start + n].to_vec());
    }
    None
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(hay.len());
    }
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn match_layouts(cgroup: &[u8], layouts: &[(&[u8], &[u8])]) -> Option<Vec<u8>> {
    layouts
        .iter()
        .find_map(|(p, s)| match_one(cgroup, p, s, false))
}

const PODMAN_LAYOUT: &[(&[u8], &[u8])] = &[
    (b"/libpod-", b".scope"),
    (b"/libpod-", b".scope/container"),
    (b"/libpod-", b""),
    (b"/libpod-payload-", b".scope"),
    (b"/libpod-payload-", b".scope/container"),
    (b"/libpod-payload-", b""),
];
const DOCKER_LAYOUT: &[(&[u8], &[u8])] = &[(b"/", b""), (b"/docker-", b".scope")];
const CRI_LAYOUT: &[(&[u8], &[u8])] = &[
    (b"/", b""),
    (b"/crio-", b""),
    (b"/cri-containerd-", b".scope"),
    (b"/crio-", b".scope"),
    (b":cri-containerd:", b""),
    (b"/docker-", b".scope"),
    (b"/nerdctl-", b".scope"),
];

/// The containerd-namespace matcher: the first `/<ns>/` component
/// (alphanumerics separated by single `.`, `_` or `-`) is the prefix.
fn containerd_ns(cgroup: &[u8]) -> Option<Vec<u8>> {
    let n = cgroup.len();
    let word = |b: u8| b.is_ascii_alphanumeric();
    let mut i = 0;
    while i < n {
        if cgroup[i] == b'/' {
            // Try to read a namespace component starting after this '/'.
            let mut j = i + 1;
            let mut ok = false;
            loop {
                let s = j;
                while j < n && word(cgroup[j]) {
                    j += 1;
                }
                if j == s {
                    break;
                }
                ok = true;
                if j < n
                    && matches!(cgroup[j], b'.' | b'_' | b'-')
                    && j + 1 < n
                    && word(cgroup[j + 1])
                {
                    j += 1;
                    continue;
                }
                break;
            }
            if ok && j < n && cgroup[j] == b'/' {
                let prefix = &cgroup[i..=j];
                return match_one(cgroup, prefix, b"", true);
            }
        }
        i += 1;
    }
    None
}

fn lxc(cgroup: &[u8]) -> Option<Vec<u8>> {
    for pat in [&b"/lxc/"[..], &b"/lxc.payload/"[..]] {
        if let Some(p) = find(cgroup, pat) {
            let start = p + pat.len();
            let end = cgroup[start..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(cgroup.len(), |e| e + start);
            return Some(cgroup[start..end].to_vec());
        }
    }
    None
}

fn libvirt_lxc(cgroup: &[u8]) -> Option<Vec<u8>> {
    const SUFFIX: &[u8] = b".libvirt-lxc";
    if let Some(pos) = find(cgroup, SUFFIX) {
        if pos + SUFFIX.len() == cgroup.len() {
            if let Some(slash) = cgroup.iter().rposition(|&b| b == b'/') {
                if slash < pos {
                    return Some(cgroup[slash + 1..pos].to_vec());
                }
            }
        }
    }
    const SYSTEMD: &[u8] = b"-lxc\\x2";
    if let Some(pos) = find(cgroup, SYSTEMD) {
        if let Some(scope) = find(cgroup, b".scope") {
            // libsinsp skips one more byte after `-lxc\x2` (the `d` of `\x2d`).
            let start = pos + SYSTEMD.len() + 1;
            if scope + b".scope".len() == cgroup.len() && scope >= start {
                return Some(cgroup[start..scope].to_vec());
            }
        }
    }
    const LEGACY: &[u8] = b"/libvirt/lxc/";
    if let Some(pos) = find(cgroup, LEGACY) {
        return Some(cgroup[pos + LEGACY.len()..].to_vec());
    }
    None
}

/// The container id and matcher type for one cgroup path.
pub fn match_cgroup(cgroup: &[u8]) -> Option<(Vec<u8>, u32)> {
    use container_types::*;
    if let Some(id) = match_layouts(cgroup, PODMAN_LAYOUT) {
        return Some((id, PODMAN));
    }
    if let Some(id) = match_layouts(cgroup, DOCKER_LAYOUT) {
        return Some((id, DOCKER));
    }
    if let Some(id) = match_layouts(cgroup, CRI_LAYOUT) {
        return Some((id, CRI));
    }
    if let Some(id) = containerd_ns(cgroup) {
        return Some((id, CONTAINERD));
    }
    if let Some(id) = lxc(cgroup) {
        return Some((id, LXC));
    }
    if let Some(id) = libvirt_lxc(cgroup) {
        return Some((id, LIBVIRT_LXC));
    }
    None
}

/// The container id of a thread from its cgroups (`(subsystem, path)`),
/// empty for the host.
pub fn container_id_of(cgroups: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    for (_, path) in cgroups {
        if path.is_empty() {
            continue;
        }
        if let Some((id, _)) = match_cgroup(path) {
            return id;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

    fn m(c: &str) -> Option<(String, u32)> {
        match_cgroup(c.as_bytes()).map(|(id, t)| (String::from_utf8(id).unwrap(), t))
    }

    #[test]
    fn runtimes() {
        use container_types as t;
        assert_eq!(
            m(&format!("/docker/{ID}")),
            Some(("3ad7b26ded6d".into(), t::DOCKER))
        );
        assert_eq!(
            m(&format!("/system.slice/docker-{ID}.scope")),
            Some(("3ad7b26ded6d".into(), t::DOCKER))
        );
        assert_eq!(
            m(&format!("/kubepods/besteffort/pod1/crio-{ID}")),
            Some(("3ad7b26ded6d".into(), t::CRI))
        );
        assert_eq!(
            m(&format!("/kubepods.slice/cri-containerd-{ID}.scope")),
            Some(("3ad7b26ded6d".into(), t::CRI))
        );
        assert_eq!(
            m(&format!("/machine.slice/libpod-{ID}.scope")),
            Some(("3ad7b26ded6d".into(), t::PODMAN))
        );
        assert_eq!(m("/lxc/web01/init.scope"), Some(("web01".into(), t::LXC)));
        assert_eq!(m("/user.slice/user-1000.slice/session-2.scope"), None);
        assert_eq!(m("/"), None);
        // Not a 64-hex docker id: the containerd matcher (any `/<namespace>/`
        // followed by an id of at most 64 characters, outside systemd units)
        // takes it, as in the container plugin.
        assert_eq!(
            m(&format!("/docker/{}", &ID[..60])),
            Some(("3ad7b26ded6d".into(), t::CONTAINERD))
        );
        assert_eq!(m(&format!("/docker/{ID}0")), None);
        assert_eq!(m("/system.slice/cron.service"), None);
    }

    #[test]
    fn container_json() {
        let j = br#"{"container":{"id":"3ad7b26ded6d","type":0,"name":"web","image":"nginx:1.25","imagerepo":"nginx","imagetag":"1.25","privileged":true,"labels":{"a":"b"},"Mounts":[{"Source":"/s","Destination":"/d","Mode":"","RW":true,"Propagation":"rprivate"}]}}"#;
        let c = Container::from_json(j).unwrap();
        assert_eq!(c.name, "web");
        assert_eq!(c.image_repo, "nginx");
        assert!(c.privileged);
        assert_eq!(c.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(c.mounts[0].to_text(), "/s:/d::true:rprivate");
        assert!(Container::from_json(b"not json").is_none());
    }
}

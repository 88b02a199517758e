//! Container metadata from the Docker Engine API, as Falco's container
//! plugin gets it: `GET /containers/<id>/json` on the daemon's unix socket
//! (`DOCKER_HOST=unix://PATH`, default `/var/run/docker.sock`). The answer
//! becomes a container event (the JSON the `container` events of captures
//! carry), written before the first event of a process in that container.
//!
//! No daemon, or no answer within the timeout: no event (the container is
//! known by its id only, as in captures without metadata).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Map, Value};

/// The container types of the container events (`container.type`).
pub const TYPE_DOCKER: u32 = 0;

/// The Docker API socket from `DOCKER_HOST` (unix:// only) or the default.
pub fn socket_path() -> PathBuf {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if h.starts_with("unix://") => PathBuf::from(&h["unix://".len()..]),
        _ => PathBuf::from("/var/run/docker.sock"),
    }
}

/// Splits an image reference into repository, tag and digest
/// (`quay.io/x/y:1.2@sha256:...`).
pub fn split_image(image: &str) -> (String, String, String) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, d.to_string()),
        None => (image, String::new()),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(c) => (
            name[..last_slash + c].to_string(),
            name[last_slash + c + 1..].to_string(),
            digest,
        ),
        None => (name.to_string(), String::new(), digest),
    }
}

/// The container event JSON for one `docker inspect` answer.
pub fn container_json(short_id: &str, inspect: &Value) -> Value {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let full_id = s(&inspect["Id"]);
    let image = s(&inspect["Config"]["Image"]);
    let (repo, tag, digest) = split_image(&image);
    let name = s(&inspect["Name"]).trim_start_matches('/').to_string();
    let labels = inspect["Config"]["Labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mounts: Vec<Value> = inspect["Mounts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    json!({
                        "Source": s(&m["Source"]),
                        "Destination": s(&m["Destination"]),
                        "Mode": s(&m["Mode"]),
                        "RW": m["RW"].as_bool().unwrap_or(false),
                        "Propagation": s(&m["Propagation"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut c = Map::new();
    c.insert("id".into(), json!(short_id));
    c.insert(
        "full_id".into(),
        json!(if full_id.is_empty() {
            short_id.to_string()
        } else {
            full_id
        }),
    );
    c.insert("type".into(), json!(TYPE_DOCKER));
    c.insert("name".into(), json!(name));
    c.insert("image".into(), json!(image));
    c.insert(
        "imageid".into(),
        json!(s(&inspect["Image"]).trim_start_matches("sha256:")),
    );
    c.insert("imagerepo".into(), json!(repo));
    c.insert("imagetag".into(), json!(tag));
    c.insert("imagedigest".into(), json!(digest));
    c.insert(
        "privileged".into(),
        json!(inspect["HostConfig"]["Privileged"]
            .as_bool()
            .unwrap_or(false)),
    );
    c.insert(
        "ip".into(),
        json!(s(&inspect["NetworkSettings"]["IPAddress"])),
    );
    c.insert("labels".into(), Value::Object(labels));
    c.insert("Mounts".into(), Value::Array(mounts));
    c.insert("lookup_state".into(), json!(1));
    json!({ "container": Value::Object(c) })
}

/// Asks the daemon about a container; `None` when there is no daemon, no
/// such container or no answer within `timeout`.
pub fn inspect(socket: &std::path::Path, id: &str, timeout: Duration) -> Option<Value> {
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let mut s = UnixStream::connect(socket).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.set_write_timeout(Some(timeout)).ok()?;
    let req = format!(
        "GET /containers/{id}/json HTTP/1.0\r\nHost: docker\r\nUser-Agent: falconer\r\n\r\n"
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = Vec::new();
    s.take(16 << 20).read_to_end(&mut resp).ok()?;
    let text = String::from_utf8_lossy(&resp);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status_ok = head
        .lines()
        .next()
        .is_some_and(|l| l.split_whitespace().nth(1) == Some("200"));
    if !status_ok {
        return None;
    }
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)?
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).ok()
}

fn dechunk(mut s: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n")?;
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..n)?);
        s = rest.get(n + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split() {
        assert_eq!(
            split_image("quay.io/my-company/services/api:1.2"),
            (
                "quay.io/my-company/services/api".into(),
                "1.2".into(),
                String::new()
            )
        );
        assert_eq!(
            split_image("localhost:5000/x"),
            ("localhost:5000/x".into(), String::new(), String::new())
        );
        assert_eq!(
            split_image("nginx@sha256:abc"),
            ("nginx".into(), String::new(), "sha256:abc".into())
        );
    }

    #[test]
    fn inspect_answers_become_container_events() {
        let v = json!({
            "Id": "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e",
            "Name": "/web",
            "Image": "sha256:1234",
            "Config": {"Image": "quay.io/my-company/services/api:2.0", "Labels": {"a": "b"}},
            "HostConfig": {"Privileged": true},
            "NetworkSettings": {"IPAddress": "172.17.0.2"},
            "Mounts": [{"Source": "/s", "Destination": "/d", "Mode": "", "RW": true, "Propagation": "rprivate"}]
        });
        let j = container_json("3ad7b26ded6d", &v);
        let c = falconer_scap::state::Container::from_json(j.to_string().as_bytes()).unwrap();
        assert_eq!(c.id, "3ad7b26ded6d");
        assert_eq!(c.name, "web");
        assert_eq!(c.image_repo, "quay.io/my-company/services/api");
        assert_eq!(c.image_tag, "2.0");
        assert!(c.privileged);
        assert_eq!(c.ip, "172.17.0.2");
        assert_eq!(c.mounts.len(), 1);
    }

    #[test]
    fn chunked_bodies() {
        assert_eq!(
            dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").as_deref(),
            Some("abcde")
        );
        assert_eq!(dechunk("zz\r\n"), None);
    }

    #[test]
    fn no_daemon_no_answer() {
        let p = std::path::Path::new("/nonexistent/falconer/docker.sock");
        assert!(inspect(p, "abc", Duration::from_millis(10)).is_none());
        assert!(inspect(p, "../etc", Duration::from_millis(10)).is_none());
    }
}

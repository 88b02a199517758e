//! The fields of Falco's `container` plugin (`container.*`, `k8s.*`),
//! from the state's container table: the id from the thread's cgroups,
//! metadata from the capture's `container` events.
//!
//! As the plugin does: a host process maps to the `host` entry
//! (`container.id` = `container.name` = `host`, `container.type` = `host`,
//! other strings empty); a container without metadata has only
//! `container.id` (and the time fields); the fields of a container with
//! metadata have values, possibly empty strings.

use falconer_catalog::{Resolved, ResolvedArg};
use falconer_scap::state::{container::container_type_name, Container};

use super::{s, single, unsupported, Compiled, EventCtx, ParsedValue, Unsupported};

/// The container of the event: the one a `container` event describes, or
/// the thread's.
fn lookup<'a>(c: &EventCtx<'a>) -> (Option<&'a Container>, Option<&'a [u8]>) {
    if let Some(ct) = c.state.event_container() {
        return (Some(ct), Some(ct.id.as_bytes()));
    }
    match c.thread() {
        None => (None, None),
        Some(t) => (c.state.container(&t.container_id), Some(&t.container_id)),
    }
}

fn labels_text(m: &std::collections::BTreeMap<String, String>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn compile(r: &Resolved) -> Result<Compiled, Unsupported> {
    let name = r.field.name;
    let key = match &r.arg {
        ResolvedArg::Key(k) => Some(k.clone()),
        ResolvedArg::Plugin { raw, .. } => Some(raw.clone()),
        _ => None,
    };
    let index = match &r.arg {
        ResolvedArg::Index(i) => Some(*i),
        ResolvedArg::Plugin { index, .. } => index.map(|i| i as i64),
        _ => None,
    };
    type F = fn(&Container) -> Option<ParsedValue>;
    let meta: Option<F> = match name {
        "container.full_id" => Some(|c| Some(s(c.full_id.clone()))),
        "container.name" => Some(|c| Some(s(c.name.clone()))),
        "container.image" => Some(|c| Some(s(c.image.clone()))),
        "container.image.id" => Some(|c| Some(s(c.image_id.clone()))),
        "container.type" => Some(|c| Some(s(container_type_name(c.kind)))),
        "container.privileged" => Some(|c| Some(ParsedValue::Bool(c.privileged))),
        "container.mounts" => Some(|c| {
            Some(s(c
                .mounts
                .iter()
                .map(|m| m.to_text())
                .collect::<Vec<_>>()
                .join(",")))
        }),
        "container.image.repository" => Some(|c| Some(s(c.image_repo.clone()))),
        "container.image.tag" => Some(|c| Some(s(c.image_tag.clone()))),
        "container.image.digest" => Some(|c| Some(s(c.image_digest.clone()))),
        "container.ip" => Some(|c| Some(s(c.ip.clone()))),
        "container.cni.json" => Some(|c| Some(s(c.cni_json.clone()))),
        "container.host_pid" => Some(|c| Some(ParsedValue::Bool(c.host_pid))),
        "container.host_network" => Some(|c| Some(ParsedValue::Bool(c.host_network))),
        "container.host_ipc" => Some(|c| Some(ParsedValue::Bool(c.host_ipc))),
        "container.labels" => Some(|c| Some(s(labels_text(&c.labels)))),
        "k8s.pod.name" => Some(|c| c.labels.get("io.kubernetes.pod.name").map(|v| s(v.clone()))),
        "k8s.ns.name" => Some(|c| {
            c.labels
                .get("io.kubernetes.pod.namespace")
                .map(|v| s(v.clone()))
        }),
        "k8s.pod.id" | "k8s.pod.uid" => {
            Some(|c| c.labels.get("io.kubernetes.pod.uid").map(|v| s(v.clone())))
        }
        "k8s.pod.sandbox_id" => Some(|c| {
            let mut v = c.pod_sandbox_id.clone();
            v.truncate(12);
            Some(s(v))
        }),
        "k8s.pod.full_sandbox_id" => Some(|c| Some(s(c.pod_sandbox_id.clone()))),
        "k8s.pod.labels" => Some(|c| Some(s(labels_text(&c.pod_sandbox_labels)))),
        "k8s.pod.ip" => Some(|c| Some(s(c.ip.clone()))),
        "k8s.pod.cni.json" => Some(|c| Some(s(c.cni_json.clone()))),
        // Deprecated fields: the plugin extracts nothing.
        "container.healthcheck" | "container.liveness_probe" | "container.readiness_probe" => {
            Some(|_| None)
        }
        _ => None,
    };
    if let Some(f) = meta {
        return Ok(single(move |c, o| {
            if let (Some(ct), _) = lookup(c) {
                o.extend(f(ct));
            }
        }));
    }
    Ok(match name {
        "container.id" => single(|c, o| match lookup(c) {
            (Some(ct), _) => o.push(s(ct.id.clone())),
            (None, Some(id)) => o.push(s(id.to_vec())),
            (None, None) => {}
        }),
        "container.label" | "k8s.pod.label" => {
            let Some(k) = key else {
                return Err(unsupported(r, "needs a label name"));
            };
            let pod = name == "k8s.pod.label";
            single(move |c, o| {
                if let (Some(ct), _) = lookup(c) {
                    let m = if pod {
                        &ct.pod_sandbox_labels
                    } else {
                        &ct.labels
                    };
                    if let Some(v) = m.get(&k) {
                        o.push(s(v.clone()));
                    }
                }
            })
        }
        "container.mount"
        | "container.mount.source"
        | "container.mount.dest"
        | "container.mount.mode"
        | "container.mount.rdwr"
        | "container.mount.propagation" => {
            let which = name;
            let key = key.clone();
            single(move |c, o| {
                let (Some(ct), _) = lookup(c) else { return };
                let m = match (index, &key) {
                    (Some(i), _) if i >= 0 => ct.mounts.get(i as usize),
                    (_, Some(k)) => {
                        if which == "container.mount.source" {
                            ct.mounts.iter().find(|m| &m.dest == k)
                        } else {
                            ct.mounts.iter().find(|m| &m.source == k)
                        }
                    }
                    _ => None,
                };
                let Some(m) = m else { return };
                o.push(s(match which {
                    "container.mount" => m.to_text(),
                    "container.mount.source" => m.source.clone(),
                    "container.mount.dest" => m.dest.clone(),
                    "container.mount.mode" => m.mode.clone(),
                    "container.mount.rdwr" => m.rdwr.to_string(),
                    _ => m.propagation.clone(),
                }));
            })
        }
        "container.start_ts" | "container.duration" => {
            let dur = name == "container.duration";
            single(move |c, o| {
                let Some(t) = c.thread() else { return };
                if t.pidns_init_start_ts != 0 {
                    o.push(ParsedValue::Uint(if dur {
                        c.event.ts.wrapping_sub(t.pidns_init_start_ts)
                    } else {
                        t.pidns_init_start_ts
                    }));
                }
            })
        }
        "proc.is_container_healthcheck"
        | "proc.is_container_liveness_probe"
        | "proc.is_container_readiness_probe" => single(|c, o| {
            if c.thread().is_some() {
                o.push(ParsedValue::Bool(false));
            }
        }),
        _ => {
            return Err(unsupported(
                r,
                "k8s metadata beyond the container labels is not in captures",
            ))
        }
    })
}

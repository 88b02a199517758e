//! Every field used by typical Falco rules (the official rules files and
//! common custom rules) resolves with Falco's default plugin set, and the
//! commonly used ones have a hand-written description.

use falconer_catalog::{catalog, FieldScope, ResolvedArg};

/// Field texts as they appear in rules (with arguments where rules use
/// them). Syscall source, default plugins (`container`).
const SYSCALL_FIELDS: &[&str] = &[
    "evt.type",
    "evt.dir",
    "evt.num",
    "evt.time",
    "evt.rawtime",
    "evt.hostname",
    "evt.source",
    "evt.args",
    "evt.arg.flags",
    "evt.arg.cmd",
    "evt.arg.domain",
    "evt.arg.fd",
    "evt.arg.filename",
    "evt.arg.linkpath",
    "evt.arg.mode",
    "evt.arg.name",
    "evt.arg.newpath",
    "evt.arg.oldpath",
    "evt.arg.path",
    "evt.arg.request",
    "evt.arg.res_or_fd",
    "evt.arg.target",
    "evt.arg.uid",
    "evt.arg[0]",
    "evt.rawarg.res",
    "evt.buffer",
    "evt.res",
    "evt.rawres",
    "evt.failed",
    "evt.is_open_read",
    "evt.is_open_write",
    "evt.is_open_exec",
    "evt.is_open_create",
    "evt.category",
    "evt.info",
    "syscall.type",
    "proc.name",
    "proc.pname",
    "proc.aname",
    "proc.aname[1]",
    "proc.aname[2]",
    "proc.aname[3]",
    "proc.aname[4]",
    "proc.aname[5]",
    "proc.aname[6]",
    "proc.aname[7]",
    "proc.exe",
    "proc.pexe",
    "proc.aexe[2]",
    "proc.exepath",
    "proc.pexepath",
    "proc.aexepath[2]",
    "proc.cmdline",
    "proc.pcmdline",
    "proc.acmdline[2]",
    "proc.args",
    "proc.cwd",
    "proc.pid",
    "proc.ppid",
    "proc.apid[2]",
    "proc.vpid",
    "proc.sid",
    "proc.sname",
    "proc.tty",
    "proc.env",
    "proc.env[HOME]",
    "proc.aenv[PATH]",
    "proc.duration",
    "proc.ppid.duration",
    "proc.exe_ino.ctime",
    "proc.exe_ino.mtime",
    "proc.exe_ino.ctime_duration_proc_start",
    "proc.is_exe_writable",
    "proc.is_exe_upper_layer",
    "proc.is_exe_from_memfd",
    "proc.is_vpgid_leader",
    "proc.is_sid_leader",
    "proc.vpgid.name",
    "proc.vpgid.exe",
    "proc.stdin.type",
    "proc.loginshellid",
    "thread.tid",
    "thread.cap_effective",
    "thread.cap_permitted",
    "thread.cgroup.cpuacct",
    "user.uid",
    "user.name",
    "user.loginuid",
    "user.loginname",
    "user.homedir",
    "user.shell",
    "group.gid",
    "group.name",
    "fd.num",
    "fd.name",
    "fd.nameraw",
    "fd.directory",
    "fd.filename",
    "fd.type",
    "fd.typechar",
    "fd.types",
    "fd.types[0]",
    "fd.types[1]",
    "fd.types[2]",
    "fd.l4proto",
    "fd.sockfamily",
    "fd.ip",
    "fd.cip",
    "fd.sip",
    "fd.lip",
    "fd.rip",
    "fd.port",
    "fd.cport",
    "fd.sport",
    "fd.lport",
    "fd.rport",
    "fd.proto",
    "fd.net",
    "fd.cnet",
    "fd.snet",
    "fd.rnet",
    "fd.cip.name",
    "fd.sip.name",
    "fd.lip.name",
    "fd.rip.name",
    "fd.connected",
    "fd.name_changed",
    "fd.is_server",
    "fs.path.name",
    "fs.path.source",
    "fs.path.target",
    "container.id",
    "container.name",
    "container.image",
    "container.image.repository",
    "container.image.tag",
    "container.image.id",
    "container.type",
    "container.privileged",
    "container.mounts",
    "container.mount.dest[/var/run/docker.sock]",
    "container.mount.dest[/proc*]",
    "container.start_ts",
    "container.healthcheck",
    "container.label[app]",
    "proc.is_container_healthcheck",
    "k8s.ns.name",
    "k8s.pod.name",
    "k8s.pod.label[app]",
    "k8s.deployment.name",
];

/// k8s audit rules (k8saudit plugin, k8s_audit source).
const K8S_AUDIT_FIELDS: &[&str] = &[
    "ka.verb",
    "ka.uri",
    "ka.uri.param[command]",
    "ka.user.name",
    "ka.user.groups",
    "ka.target.name",
    "ka.target.namespace",
    "ka.target.resource",
    "ka.target.subresource",
    "ka.response.code",
    "ka.auth.decision",
    "ka.req.pod.containers.image",
    "ka.req.pod.containers.image[0]",
    "ka.req.pod.containers.image.repository",
    "ka.req.pod.containers.privileged",
    "ka.req.pod.host_network",
    "ka.req.pod.volumes.hostpath",
    "ka.req.binding.subjects",
    "ka.req.binding.role",
    "ka.useragent",
    "ka.sourceips",
    "jevt.value[/requestObject/kind]",
    "evt.time",
];

#[test]
fn syscall_rule_fields_resolve() {
    let c = catalog();
    let scope = FieldScope::falco_default();
    assert!(SYSCALL_FIELDS.len() >= 100);
    for text in SYSCALL_FIELDS {
        let r = c
            .resolve_text(text, &scope)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(text.starts_with(r.field.name), "{text} -> {}", r.field.name);
    }
}

#[test]
fn k8s_audit_rule_fields_resolve() {
    let c = catalog();
    let scope = FieldScope::new("k8s_audit", &["k8saudit", "json"]);
    for text in K8S_AUDIT_FIELDS {
        c.resolve_text(text, &scope)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

#[test]
fn argument_forms_used_by_rules() {
    let c = catalog();
    let scope = FieldScope::falco_default();
    let r = c.resolve_text("proc.aname[2]", &scope).unwrap();
    assert_eq!(r.arg, ResolvedArg::Index(2));
    let r = c.resolve_text("evt.arg.flags", &scope).unwrap();
    assert!(matches!(r.arg, ResolvedArg::EventParam(p) if p.name == "flags"));
}

#[test]
fn common_fields_have_own_descriptions() {
    let c = catalog();
    let scope = FieldScope::falco_default();
    let mut missing = Vec::new();
    for text in SYSCALL_FIELDS {
        let r = c.resolve_text(text, &scope).unwrap();
        if r.field.own_description().is_none() {
            missing.push(r.field.name);
        }
    }
    assert!(missing.is_empty(), "no description for {missing:?}");
}

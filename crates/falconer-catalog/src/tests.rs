use crate::*;

const NO_PLUGINS: &[&str] = &[];
const SYSCALL_BARE: FieldScope<'static> = FieldScope::syscall(NO_PLUGINS);
const DEFAULT: FieldScope<'static> = FieldScope::falco_default();

fn ok(text: &str) -> Resolved {
    catalog()
        .resolve_text(text, &DEFAULT)
        .unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn unknown(text: &str) {
    match catalog().resolve_text(text, &DEFAULT) {
        Err(e @ ResolveError::Unknown { .. }) => assert_eq!(
            e.message(),
            format!("filter_check called with nonexistent field {text}")
        ),
        other => panic!("{text}: expected unknown, got {other:?}"),
    }
}

fn invalid(text: &str, msg: &str) {
    match catalog().resolve_text(text, &DEFAULT) {
        Err(ResolveError::Invalid { message, .. }) => assert_eq!(message, msg, "{text}"),
        other => panic!("{text}: expected invalid, got {other:?}"),
    }
}

// ---------------------------------------------------------------- tables

#[test]
fn table_sizes() {
    let c = catalog();
    assert_eq!(c.fields().len(), 630);
    assert_eq!(
        c.fields().iter().filter(|f| f.plugin.is_none()).count(),
        233
    );
    assert!(c.fields().windows(2).all(|w| w[0].name < w[1].name));
    assert_eq!(c.event_type_names().len(), 490);
    assert_eq!(c.event_param_names().len(), 223);
    assert_eq!(c.plugin_async_events().len(), 12);
    assert_eq!(c.plugins().len(), 10);
}

#[test]
fn field_lookup_and_flags() {
    let c = catalog();
    let f = c.field("proc.name").unwrap();
    assert_eq!(f.ty, FieldType::Charbuf);
    assert_eq!(f.class, "process");
    assert_eq!(f.check_class, CheckClass::Thread);
    assert_eq!(f.source, "syscall");
    assert!(f.plugin.is_none());
    assert!(c.field("proc.nam").is_none());
    let aname = c.field("proc.aname").unwrap();
    assert_eq!(aname.arg, ArgRequirement::Allowed);
    assert_eq!(aname.arg_kind, Some(ArgKind::Index));
    assert!(aname.no_rhs && aname.no_transformer);
    let env = c.field("proc.env").unwrap();
    assert_eq!(env.arg_kind, Some(ArgKind::IndexOrKey));
    let abspath = c.field("evt.abspath").unwrap();
    assert_eq!(abspath.arg, ArgRequirement::Allowed);
    assert_eq!(abspath.arg_forms, &[ArgForm::DotEnum(&["src", "dst"])]);
    assert_eq!(
        c.field("evt.arg").unwrap().arg_forms,
        &[ArgForm::BracketIndex, ArgForm::DotEventParam]
    );
    assert!(c.field("fd.ip").unwrap().filter_only);
    assert!(c.field("evt.outputtime").unwrap().output_only);
    assert!(c.field("evt.dir").unwrap().deprecated);
    assert!(c.field("fd.types").unwrap().is_list);
    assert_eq!(c.field("evt.rawarg").unwrap().ty, FieldType::Dynamic);
    let c_id = c.field("container.id").unwrap();
    assert_eq!(c_id.plugin, Some("container"));
    assert_eq!(c_id.extract_sources, &["syscall"]);
    let jv = c.field("jevt.value").unwrap();
    assert_eq!(jv.alias_of, Some("json.value"));
    assert_eq!(
        c.field("ka.req.container.image").unwrap().replaced_by,
        Some("ka.req.pod.containers.image")
    );
    assert!(c
        .field("ka.verb")
        .unwrap()
        .also_provided_by
        .contains(&"k8saudit-eks"));
    assert_eq!(
        c.fields_of_source("*")
            .filter(|f| f.plugin.is_none())
            .count(),
        18
    );
    assert_eq!(c.fields_of_plugin("k8saudit-gke").count(), 100);
}

#[test]
fn field_types_cover_all_names() {
    for t in FieldType::ALL {
        assert_eq!(FieldType::from_name(t.as_str()), Some(t));
        assert_eq!(FieldType::from_name(&format!("PT_{}", t.as_str())), Some(t));
    }
    assert_eq!(FieldType::from_name("PT_DYN"), Some(FieldType::Dynamic));
    assert_eq!(FieldType::Ipv6addr.message_name(), "<NA>");
    assert_eq!(FieldType::Pid32.message_name(), "<NA>");
    assert_eq!(FieldType::CharbufPairArray.as_str(), "CHARBUF_PAIR_ARRAY");
    assert_eq!(
        ArgType::list(FieldType::Charbuf).to_string(),
        "CHARBUF (list)"
    );
}

#[test]
fn plugins_and_sources() {
    let c = catalog();
    let names: Vec<_> = c.plugin_names().collect();
    for p in [
        "container",
        "k8smeta",
        "anomalydetection",
        "krsi",
        "k8saudit",
        "cloudtrail",
        "okta",
        "github",
        "gcpaudit",
        "json",
    ] {
        assert!(names.contains(&p), "{p}");
    }
    assert_eq!(c.plugin("k8saudit-eks").unwrap().name, "k8saudit");
    assert_eq!(
        c.plugin("k8saudit").unwrap().event_source,
        Some("k8s_audit")
    );
    assert_eq!(c.plugin("container").unwrap().event_source, None);
    assert_eq!(c.known_sources(&[]), vec!["syscall"]);
    assert_eq!(
        c.known_sources(&["container", "k8saudit-eks", "cloudtrail", "json"]),
        vec!["syscall", "k8s_audit", "aws_cloudtrail"]
    );
    assert_eq!(
        c.plugin("container").unwrap().async_events,
        &["container", "container_removed"]
    );
}

#[test]
fn descriptions() {
    let c = catalog();
    for f in c.fields() {
        assert!(!f.description().is_empty());
    }
    assert!(c.field("proc.name").unwrap().own_description().is_some());
    let generated = c.field("evt.count.error.file").unwrap().description();
    assert!(generated.contains("UINT32"), "{generated}");
    assert!(class_description("process").is_some());
    for class in c.fields().iter().map(|f| f.class) {
        assert!(class_description(class).is_some(), "class {class}");
    }
    let described = c
        .fields()
        .iter()
        .filter(|f| f.own_description().is_some())
        .count();
    assert!(described >= 110, "{described}");
}

#[test]
fn deprecated_warning_list() {
    let names: Vec<_> = DEPRECATED_FIELD_WARNINGS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "evt.dir",
            "evt.latency",
            "evt.latency.s",
            "evt.latency.ns",
            "evt.latency.human",
            "evt.wait_latency"
        ]
    );
    for n in names {
        assert!(catalog().field(n).unwrap().deprecated);
    }
    assert!(deprecated_field_warning("evt.dir")
        .unwrap()
        .contains("evt.dir"));
    assert!(deprecated_field_warning("evt.latency.quantized").is_none());
    assert!(is_unsafe_na_field("ka.verb") && is_unsafe_na_field("jevt.value"));
    assert!(!is_unsafe_na_field("proc.name"));
}

// ------------------------------------------------------------ resolution

#[test]
fn resolve_plain_fields() {
    let r = ok("proc.name");
    assert_eq!(r.field.name, "proc.name");
    assert_eq!(
        (r.ty, r.is_list, r.arg.clone()),
        (FieldType::Charbuf, false, ResolvedArg::None)
    );
    assert!(ok("fd.types").is_list);
    assert_eq!(ok("evt.num").ty, FieldType::Uint64);
    assert_eq!(ok("evt.args").field.name, "evt.args");
    assert_eq!(ok("thread.cgroups").field.name, "thread.cgroups");
    assert_eq!(ok("evt.latency.s").field.name, "evt.latency.s");
    unknown("proc.namex");
    unknown("proc.name.x");
    unknown("foo.bar");
    unknown("evt.argsx");
    unknown("thread.cgroupsx");
    unknown("proc");
}

#[test]
fn resolve_with_separate_argument() {
    let c = catalog();
    let r = c.resolve("proc.aname", Some("2"), &DEFAULT).unwrap();
    assert_eq!(r.arg, ResolvedArg::Index(2));
    let e = c.resolve("proc.name", Some("1"), &DEFAULT).unwrap_err();
    assert_eq!(
        e.message(),
        "filter_check called with nonexistent field proc.name[1]"
    );
    assert_eq!(
        e,
        ResolveError::Unknown {
            text: "proc.name[1]".into(),
            hint: Some(UnknownHint::BadArgument("proc.name"))
        }
    );
    // `[""]`: a present but empty argument.
    assert_eq!(
        c.resolve("proc.env", Some(""), &DEFAULT).unwrap().arg,
        ResolvedArg::Key(String::new())
    );
}

#[test]
fn resolve_ancestor_fields() {
    for base in [
        "proc.aname",
        "proc.apid",
        "proc.aexe",
        "proc.aexepath",
        "proc.acmdline",
        "proc.args",
        "proc.aargs",
    ] {
        assert_eq!(ok(base).arg, ResolvedArg::None, "{base}");
        assert_eq!(ok(base).field.name, base);
        assert_eq!(ok(&format!("{base}[0]")).arg, ResolvedArg::Index(0));
        assert_eq!(ok(&format!("{base}[3]")).arg, ResolvedArg::Index(3));
        assert_eq!(ok(&format!("{base}[-1]")).arg, ResolvedArg::Index(-1));
        assert_eq!(ok(&format!("{base}[ 2]")).arg, ResolvedArg::Index(2));
        // errors are swallowed by the class: the text is then unknown
        unknown(&format!("{base}[x]"));
        unknown(&format!("{base}[2 ]"));
        unknown(&format!("{base}[0x1]"));
        unknown(&format!("{base}[]"));
        unknown(&format!("{base}x"));
        unknown(&format!("{base}[1]x"));
    }
    assert_eq!(ok("proc.aexepath[1]").field.name, "proc.aexepath");
    assert_eq!(ok("proc.aexe[1]").field.name, "proc.aexe");
    assert_eq!(ok("proc.apid[1]").ty, FieldType::Int64);
    // 32-bit index: wraps like the C parse
    assert_eq!(ok("proc.aname[4294967297]").arg, ResolvedArg::Index(1));
}

#[test]
fn resolve_env_fields() {
    assert_eq!(ok("proc.env").arg, ResolvedArg::None);
    assert_eq!(ok("proc.env[HOME]").arg, ResolvedArg::Key("HOME".into()));
    assert_eq!(ok("proc.env[1]").arg, ResolvedArg::Index(1));
    assert_eq!(ok("proc.env[-1]").arg, ResolvedArg::Key("-1".into()));
    assert_eq!(ok("proc.env[A B]").arg, ResolvedArg::Key("A B".into()));
    assert_eq!(ok("proc.aenv").arg, ResolvedArg::None);
    assert_eq!(ok("proc.aenv[PATH]").arg, ResolvedArg::Key("PATH".into()));
    assert_eq!(ok("proc.aenv[2]").arg, ResolvedArg::Index(2));
    unknown("proc.env[a]]");
    unknown("proc.envx");
}

#[test]
fn resolve_fd_types() {
    assert_eq!(ok("fd.types[1]").arg, ResolvedArg::Index(1));
    assert!(ok("fd.types[1]").is_list);
    invalid("fd.types[x]", "x is not a valid number");
    unknown("fd.typesx");
}

#[test]
fn resolve_thread_cgroup() {
    let r = ok("thread.cgroup.cpuacct");
    assert_eq!(r.field.name, "thread.cgroup");
    assert_eq!(r.arg, ResolvedArg::Key("cpuacct".into()));
    assert_eq!(
        ok("thread.cgroup.net_cls").arg,
        ResolvedArg::Key("net_cls".into())
    );
    assert_eq!(ok("thread.cgroup.").arg, ResolvedArg::Key(String::new()));
    unknown("thread.cgroup.cpu2");
    invalid("thread.cgroup", "filter syntax error: thread.cgroup");
    invalid(
        "thread.cgroup[cpu]",
        "filter syntax error: thread.cgroup[cpu]",
    );
}

#[test]
fn resolve_evt_arg() {
    let r = ok("evt.arg.flags");
    assert_eq!(r.field.name, "evt.arg");
    assert_eq!(r.ty, FieldType::Charbuf);
    assert!(matches!(r.arg, ResolvedArg::EventParam(p) if p.name == "flags"));
    assert_eq!(ok("evt.arg[1]").arg, ResolvedArg::Index(1));
    assert_eq!(ok("evt.arg[-2]").arg, ResolvedArg::Index(-2));
    // longest parameter name that is a prefix: arg2_int, not arg / arg2
    assert!(
        matches!(ok("evt.arg.arg2_int").arg, ResolvedArg::EventParam(p) if p.name == "arg2_int")
    );
    assert!(matches!(ok("evt.arg.fd").arg, ResolvedArg::EventParam(p) if p.name == "fd"));
    invalid("evt.arg[x]", "x is not a valid number");
    invalid("evt.arg[]", " is not a valid number");
    invalid("evt.arg.zzz", "unknown event argument zzz");
    invalid("evt.arg.", "unknown event argument ");
    invalid("evt.arg", "filter syntax error: evt.arg");
    invalid("evt.argx", "filter syntax error: evt.argx");
    // the suffix must be covered by the parameter name
    unknown("evt.arg.fdx");
    unknown("evt.arg.flags.x");
    unknown("evt.arg[1]x");
}

#[test]
fn resolve_evt_rawarg() {
    let r = ok("evt.rawarg.res");
    assert_eq!(r.field.name, "evt.rawarg");
    assert_eq!(r.ty, FieldType::Errno);
    assert_eq!(ok("evt.rawarg.flags").ty, FieldType::Flags32);
    assert_eq!(ok("evt.rawarg.name").ty, FieldType::Fspath);
    assert_eq!(ok("evt.rawarg.addr").ty, FieldType::Sockaddr);
    assert_eq!(ok("evt.rawarg.uid").ty, FieldType::Uint32);
    invalid(
        "evt.rawarg[1]",
        "evt.arg fields must be expressed explicitly",
    );
    invalid("evt.rawarg.nosuch", "unknown event argument nosuch");
    invalid("evt.rawarg", "filter syntax error: evt.rawarg");
    unknown("evt.rawarg.resx");
}

#[test]
fn resolve_evt_around_type_is_abspath() {
    assert_eq!(ok("evt.around[1000]").arg, ResolvedArg::Timestamp(1000));
    assert_eq!(ok("evt.around[1000]").ty, FieldType::Uint64);
    invalid("evt.around[x]", "x is not a valid number");
    invalid("evt.around.x", "wrong syntax for evt.around");
    invalid("evt.around", "filter syntax error: evt.around");

    assert_eq!(
        ok("evt.type.is.open").arg,
        ResolvedArg::EventTypeName {
            name: "open",
            code: 2
        }
    );
    assert_eq!(ok("evt.type.is.5").arg, ResolvedArg::EventTypeCode(5));
    assert_eq!(ok("evt.type.is.open").ty, FieldType::Uint32);
    unknown("evt.type.is.nosuch");
    invalid("evt.type.is", "filter syntax error: evt.type.is");
    invalid("evt.type.isx", "filter syntax error: evt.type.isx");
    invalid("evt.type.is[5]", "filter syntax error: evt.type.is[5]");

    assert_eq!(ok("evt.abspath").arg, ResolvedArg::None);
    assert_eq!(ok("evt.abspath.src").arg, ResolvedArg::Key("src".into()));
    assert_eq!(ok("evt.abspath.dst").arg, ResolvedArg::Key("dst".into()));
    unknown("evt.abspath.srcx");
    unknown("evt.abspath.x");
    unknown("evt.abspath[src]");
}

#[test]
fn resolve_arg_prefix_is_thread_error() {
    invalid(
        "arg.foo",
        "filter error: proc.arg filter not implemented yet",
    );
    invalid("args", "filter error: proc.arg filter not implemented yet");
    // not for other sources: no thread class there
    let k8s = FieldScope::new("k8s_audit", &["k8saudit"]);
    assert!(catalog()
        .resolve_text("arg.foo", &k8s)
        .unwrap_err()
        .is_unknown());
}

#[test]
fn resolve_visibility() {
    let c = catalog();
    // container fields come from the container plugin
    let e = c.resolve_text("container.id", &SYSCALL_BARE).unwrap_err();
    assert_eq!(
        e,
        ResolveError::Unknown {
            text: "container.id".into(),
            hint: Some(UnknownHint::PluginNotLoaded("container"))
        }
    );
    assert_eq!(ok("container.id").field.plugin, Some("container"));
    assert_eq!(ok("k8s.ns.name").field.plugin, Some("container"));

    // other sources: generic evt fields and the source's plugin fields
    let k8s = FieldScope::new("k8s_audit", &["k8saudit-eks", "json"]);
    assert_eq!(
        c.resolve_text("ka.verb", &k8s).unwrap().field.plugin,
        Some("k8saudit")
    );
    assert_eq!(
        c.resolve_text("evt.time", &k8s).unwrap().field.name,
        "evt.time"
    );
    assert_eq!(
        c.resolve_text("json.value[/a/b]", &k8s).unwrap().field.name,
        "json.value"
    );
    assert_eq!(
        c.resolve_text("evt.type", &k8s).unwrap_err(),
        ResolveError::Unknown {
            text: "evt.type".into(),
            hint: Some(UnknownHint::OtherSource("syscall"))
        }
    );
    assert_eq!(
        c.resolve_text("ct.name", &k8s).unwrap_err(),
        ResolveError::Unknown {
            text: "ct.name".into(),
            hint: Some(UnknownHint::PluginNotLoaded("cloudtrail"))
        }
    );
    // syscall plugin fields are not visible for another source
    let k8s_with_container = FieldScope::new("k8s_audit", &["k8saudit", "container"]);
    assert!(c
        .resolve_text("container.id", &k8s_with_container)
        .unwrap_err()
        .is_unknown());
    assert!(c
        .resolve_text("ka.verb", &DEFAULT)
        .unwrap_err()
        .is_unknown());
    assert!(DEFAULT.sees(c.field("evt.time").unwrap()));
    assert!(!k8s.sees(c.field("proc.name").unwrap()));
}

#[test]
fn resolve_plugin_arguments() {
    let c = catalog();
    let k8s = FieldScope::new("k8s_audit", &["k8saudit"]);
    let r = |t: &str| c.resolve_text(t, &k8s);
    let img = r("ka.req.pod.containers.image[0]").unwrap();
    assert_eq!(
        img.arg,
        ResolvedArg::Plugin {
            raw: "0".into(),
            index: Some(0)
        }
    );
    assert!(img.is_list);
    assert_eq!(
        r("ka.req.pod.containers.image").unwrap().arg,
        ResolvedArg::None
    );
    let msg = |t: &str| r(t).unwrap_err().message();
    assert_eq!(
        msg("ka.req.pod.containers.image[x]"),
        "filter ka.req.pod.containers.image[x] ka.req.pod.containers.image has an invalid index argument not composed only by digits: x"
    );
    assert_eq!(
        msg("ka.req.pod.containers.image[01]"),
        "filter ka.req.pod.containers.image[01] ka.req.pod.containers.image has an invalid index argument starting with 0: 01"
    );
    assert_eq!(
        msg("ka.req.pod.containers.image[99999999999999999999]"),
        "filter ka.req.pod.containers.image[99999999999999999999] ka.req.pod.containers.image has an invalid index argument not representable on 64 bit: 99999999999999999999"
    );
    assert_eq!(
        msg("ka.user.name[1]"),
        "filter 'ka.user.name[1]': ka.user.name does not allow nor require an argument but one is provided: 1"
    );
    assert_eq!(
        msg("ka.uri.param"),
        "filter 'ka.uri.param': ka.uri.param requires an argument but none provided"
    );
    assert_eq!(
        msg("ka.uri.param[a b]"),
        "filter 'ka.uri.param[a': ka.uri.param has unbalanced argument brackets"
    );
    assert_eq!(
        r("ka.uri.param[pretty]").unwrap().arg,
        ResolvedArg::Plugin {
            raw: "pretty".into(),
            index: None
        }
    );
    assert!(r("ka.uri.param[x]y").unwrap_err().is_unknown());
    assert!(r("ka.user.namex").unwrap_err().is_unknown());
    // `[` not right after a field name: the plugin class declines
    assert!(r("ka.user.namex[1]").unwrap_err().is_unknown());

    // index-or-key and key fields of the container plugin
    let label = ok("container.label[app]");
    assert_eq!(
        label.arg,
        ResolvedArg::Plugin {
            raw: "app".into(),
            index: None
        }
    );
    let mount = ok("container.mount.dest[0]");
    assert_eq!(
        mount.arg,
        ResolvedArg::Plugin {
            raw: "0".into(),
            index: Some(0)
        }
    );
    assert_eq!(
        ok("container.mount.dest[/data]").arg,
        ResolvedArg::Plugin {
            raw: "/data".into(),
            index: None
        }
    );
}

#[test]
fn every_field_resolves_by_its_own_name() {
    let c = catalog();
    for f in c.fields() {
        let plugins: Vec<&str> = f.plugin.into_iter().collect();
        let source = if f.source == "*" { "syscall" } else { f.source };
        let scope = FieldScope::new(source, &plugins);
        let text = match (f.arg, f.arg_forms.first()) {
            (ArgRequirement::Required, Some(ArgForm::BracketIndex)) => format!("{}[1]", f.name),
            (ArgRequirement::Required, Some(ArgForm::BracketKey)) => format!("{}[k]", f.name),
            (ArgRequirement::Required, Some(ArgForm::DotEventParam)) => format!("{}.fd", f.name),
            (ArgRequirement::Required, Some(ArgForm::DotEventType)) => format!("{}.open", f.name),
            (ArgRequirement::Required, Some(ArgForm::DotCgroupSubsystem)) => {
                format!("{}.cpu", f.name)
            }
            (ArgRequirement::Required, other) => panic!("{}: {other:?}", f.name),
            _ => f.name.to_string(),
        };
        let r = c
            .resolve_text(&text, &scope)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(r.field.name, f.name, "{text}");
        if f.accepts_arg() && f.arg_forms.contains(&ArgForm::BracketIndex) {
            let text = format!("{}[2]", f.name);
            let r = c
                .resolve_text(&text, &scope)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(r.field.name, f.name);
        }
    }
}

#[test]
fn suggestions() {
    let c = catalog();
    assert_eq!(c.suggest_field("proc.nmae", &DEFAULT), Some("proc.name"));
    assert_eq!(
        c.suggest_field("container.idd", &DEFAULT),
        Some("container.id")
    );
    assert_eq!(c.suggest_field("container.idd", &SYSCALL_BARE), None);
    assert_eq!(c.suggest_field("zzzzzzzzzzzz", &DEFAULT), None);
}

// ------------------------------------------------------------- operators

const ALL_OPS: [OpKind; 20] = OpKind::ALL;

fn allowed(ty: FieldType, list: bool) -> Vec<&'static str> {
    let mut v: Vec<&str> = ALL_OPS
        .iter()
        .filter(|op| check_operator(ty, list, **op, None).is_ok())
        .map(|op| op.as_str())
        .collect();
    v.sort_unstable();
    v
}

fn sorted(mut v: Vec<&'static str>) -> Vec<&'static str> {
    v.sort_unstable();
    v
}

#[test]
fn b2_numeric_row() {
    let expected = sorted(vec![
        "exists",
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "intersects",
    ]);
    for ty in [
        FieldType::Int8,
        FieldType::Int16,
        FieldType::Int32,
        FieldType::Int64,
        FieldType::Uint8,
        FieldType::Uint16,
        FieldType::Uint32,
        FieldType::Uint64,
        FieldType::Errno,
        FieldType::Fd,
        FieldType::Pid,
        FieldType::Syscallid,
        FieldType::Sigtype,
        FieldType::Reltime,
        FieldType::Abstime,
        FieldType::Port,
        FieldType::Flags8,
        FieldType::Flags16,
        FieldType::Flags32,
        FieldType::Enumflags8,
        FieldType::Enumflags16,
        FieldType::Enumflags32,
        FieldType::Mode,
        FieldType::Double,
    ] {
        assert_eq!(allowed(ty, false), expected, "{ty}");
        for op in [
            OpKind::Contains,
            OpKind::Icontains,
            OpKind::Startswith,
            OpKind::Endswith,
            OpKind::Glob,
            OpKind::Iglob,
            OpKind::Pmatch,
            OpKind::Regex,
            OpKind::Bcontains,
            OpKind::Bstartswith,
        ] {
            assert_eq!(
                check_operator(ty, false, op, None).unwrap_err(),
                format!(
                    "'{}' operator not supported for numeric filters",
                    op.as_str()
                )
            );
        }
    }
}

#[test]
fn b2_bool_row() {
    assert_eq!(
        allowed(FieldType::Bool, false),
        sorted(vec!["exists", "=", "==", "!=", "in", "intersects"])
    );
    assert_eq!(
        check_operator(FieldType::Bool, false, OpKind::Lt, None).unwrap_err(),
        "'<' operator not supported for numeric filters"
    );
    assert_eq!(
        check_operator(FieldType::Bool, false, OpKind::Contains, None).unwrap_err(),
        "'contains' operator not supported for numeric filters"
    );
}

#[test]
fn b2_string_row() {
    let expected = sorted(vec![
        "exists",
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "intersects",
        "contains",
        "startswith",
        "endswith",
        "icontains",
        "glob",
        "iglob",
        "pmatch",
        "regex",
    ]);
    for ty in [FieldType::Charbuf, FieldType::Fspath, FieldType::Fsrelpath] {
        assert_eq!(allowed(ty, false), expected, "{ty}");
        assert_eq!(
            check_operator(ty, false, OpKind::Bcontains, None).unwrap_err(),
            "'bcontains' operator not supported for string filters"
        );
        assert_eq!(
            check_operator(ty, false, OpKind::Bstartswith, None).unwrap_err(),
            "'bstartswith' operator not supported for string filters"
        );
        assert!(check_operator(ty, false, OpKind::Contains, Some(Modifier::Anyof)).is_ok());
    }
}

#[test]
fn b2_buffer_row() {
    assert_eq!(
        allowed(FieldType::Bytebuf, false),
        sorted(vec![
            "exists",
            "=",
            "==",
            "!=",
            "in",
            "intersects",
            "contains",
            "startswith",
            "endswith",
            "bcontains",
            "bstartswith"
        ])
    );
    for op in [
        OpKind::Lt,
        OpKind::Icontains,
        OpKind::Glob,
        OpKind::Iglob,
        OpKind::Pmatch,
        OpKind::Regex,
    ] {
        assert_eq!(
            check_operator(FieldType::Bytebuf, false, op, None).unwrap_err(),
            format!(
                "'{}' operator not supported for buffer filters",
                op.as_str()
            )
        );
    }
}

#[test]
fn b2_ip_row() {
    for ty in [
        FieldType::Ipv4addr,
        FieldType::Ipv6addr,
        FieldType::Ipaddr,
        FieldType::Ipv4net,
        FieldType::Ipv6net,
        FieldType::Ipnet,
    ] {
        assert_eq!(
            allowed(ty, false),
            sorted(vec!["exists", "=", "==", "!=", "in", "intersects"]),
            "{ty}"
        );
        assert_eq!(
            check_operator(ty, false, OpKind::Startswith, None).unwrap_err(),
            "'startswith' operator not supported for ip address and network filters"
        );
        assert_eq!(
            check_operator(ty, false, OpKind::Contains, Some(Modifier::Oneof)).unwrap_err(),
            "'contains' with modifier not supported for ip address and network filters"
        );
        assert!(check_operator(ty, false, OpKind::EqEq, Some(Modifier::Anyof)).is_ok());
        assert!(check_operator(ty, false, OpKind::Ne, Some(Modifier::Allof)).is_ok());
    }
}

#[test]
fn b2_list_row() {
    for ty in [
        FieldType::Charbuf,
        FieldType::Uint64,
        FieldType::Reltime,
        FieldType::Abstime,
        FieldType::Bool,
        FieldType::Ipaddr,
        FieldType::Ipnet,
    ] {
        assert_eq!(
            allowed(ty, true),
            sorted(vec!["exists", "in", "intersects"]),
            "{ty}"
        );
        assert_eq!(
            check_operator(ty, true, OpKind::EqEq, None).unwrap_err(),
            "'=' operator not supported list filters"
        );
        assert_eq!(
            check_operator(ty, true, OpKind::Pmatch, None).unwrap_err(),
            "'pmatch' operator not supported list filters"
        );
        assert_eq!(
            check_operator(ty, true, OpKind::Contains, Some(Modifier::Anyof)).unwrap_err(),
            "'contains' operator not supported list filters"
        );
    }
    assert_eq!(
        check_operator(FieldType::Int64, true, OpKind::In, None).unwrap_err(),
        "list filters are not supported for type 'INT64'"
    );
    assert!(check_operator(FieldType::Int64, true, OpKind::Exists, None).is_ok());
}

#[test]
fn b2_other_types_row() {
    for ty in [
        FieldType::L4proto,
        FieldType::Uid,
        FieldType::Gid,
        FieldType::Sockaddr,
        FieldType::Socktuple,
        FieldType::Fdlist,
        FieldType::Sigset,
        FieldType::Charbufarray,
        FieldType::CharbufPairArray,
        FieldType::Dynamic,
        FieldType::Sockfamily,
    ] {
        assert_eq!(allowed(ty, false), vec!["exists"], "{ty}");
        assert_eq!(
            check_operator(ty, false, OpKind::EqEq, None).unwrap_err(),
            format!("'=' operator not supported for type '{}'", ty.as_str())
        );
    }
    assert_eq!(
        check_operator(FieldType::Pid32, false, OpKind::In, None).unwrap_err(),
        "'in' operator not supported for type '<NA>'"
    );
    assert_eq!(operators_for(FieldType::Uid, false), vec![OpKind::Exists]);
    assert_eq!(OPERATORS.len(), OpKind::ALL.len());
}

// ---------------------------------------------------------------- values

fn pv(ty: FieldType, text: &str) -> Result<ParsedValue, String> {
    parse_value(ty, OpKind::Eq, text.as_bytes())
}

#[test]
fn b3_signed_integers() {
    assert_eq!(pv(FieldType::Int64, "42"), Ok(ParsedValue::Int(42)));
    assert_eq!(pv(FieldType::Int64, "  -7"), Ok(ParsedValue::Int(-7)));
    assert_eq!(pv(FieldType::Int64, "+5"), Ok(ParsedValue::Int(5)));
    assert_eq!(pv(FieldType::Pid, "\t12"), Ok(ParsedValue::Int(12)));
    assert_eq!(
        pv(FieldType::Int64, "99999999999999999999"),
        Ok(ParsedValue::Int(i64::MAX))
    );
    assert_eq!(
        pv(FieldType::Int64, "-99999999999999999999"),
        Ok(ParsedValue::Int(i64::MIN))
    );
    assert_eq!(
        pv(FieldType::Int32, "2147483648"),
        Ok(ParsedValue::Int(-2147483648))
    );
    assert_eq!(pv(FieldType::Int8, "300"), Ok(ParsedValue::Int(44)));
    assert_eq!(pv(FieldType::Int16, "-32769"), Ok(ParsedValue::Int(32767)));
    for bad in ["0x10", "1.5", "12 ", "12abc", "", " ", "-", "abc", "1e3"] {
        assert_eq!(
            pv(FieldType::Int64, bad).unwrap_err(),
            format!("{bad} is not a valid number"),
            "{bad:?}"
        );
    }
    assert!(pv(FieldType::Errno, "0x10").is_err());
    assert!(pv(FieldType::Fd, "3").is_ok());
}

#[test]
fn b3_unsigned_integers() {
    // evt.num = -1 wraps
    assert_eq!(pv(FieldType::Uint64, "-1"), Ok(ParsedValue::Uint(u64::MAX)));
    assert_eq!(
        pv(FieldType::Uint64, "18446744073709551615"),
        Ok(ParsedValue::Uint(u64::MAX))
    );
    assert_eq!(
        pv(FieldType::Uint64, "18446744073709551616"),
        Ok(ParsedValue::Uint(u64::MAX))
    );
    assert_eq!(
        pv(FieldType::Uint32, "-1"),
        Ok(ParsedValue::Uint(4294967295))
    );
    assert_eq!(
        pv(FieldType::Uint32, "4294967296"),
        Ok(ParsedValue::Uint(0))
    );
    assert_eq!(pv(FieldType::Uint16, "65537"), Ok(ParsedValue::Uint(1)));
    assert_eq!(pv(FieldType::Uint8, "257"), Ok(ParsedValue::Uint(1)));
    assert_eq!(pv(FieldType::Flags8, "-1"), Ok(ParsedValue::Uint(255)));
    assert_eq!(pv(FieldType::Mode, "0755"), Ok(ParsedValue::Uint(755)));
    assert_eq!(pv(FieldType::Uid, "0"), Ok(ParsedValue::Uint(0)));
    assert_eq!(pv(FieldType::Reltime, "1000"), Ok(ParsedValue::Uint(1000)));
    assert_eq!(pv(FieldType::L4proto, "6"), Ok(ParsedValue::Uint(6)));
    assert_eq!(
        pv(FieldType::Uint64, "0x10").unwrap_err(),
        "0x10 is not a valid number"
    );
    assert_eq!(
        pv(FieldType::Abstime, "1.0").unwrap_err(),
        "1.0 is not a valid number"
    );
}

#[test]
fn b3_port() {
    assert_eq!(pv(FieldType::Port, ""), Ok(ParsedValue::Uint(0)));
    assert_eq!(pv(FieldType::Port, "22"), Ok(ParsedValue::Uint(22)));
    assert_eq!(pv(FieldType::Port, "0080"), Ok(ParsedValue::Uint(80)));
    assert_eq!(pv(FieldType::Port, "70000"), Ok(ParsedValue::Uint(4464)));
    assert_eq!(pv(FieldType::Port, "ssh"), Ok(ParsedValue::Uint(22)));
    assert_eq!(pv(FieldType::Port, "http"), Ok(ParsedValue::Uint(80)));
    assert_eq!(pv(FieldType::Port, "www"), Ok(ParsedValue::Uint(80)));
    assert_eq!(pv(FieldType::Port, "https"), Ok(ParsedValue::Uint(443)));
    assert_eq!(pv(FieldType::Port, "domain"), Ok(ParsedValue::Uint(53)));
    assert_eq!(pv(FieldType::Port, "ftp"), Ok(ParsedValue::Uint(21)));
    assert_eq!(pv(FieldType::Port, "smtp"), Ok(ParsedValue::Uint(25)));
    assert_eq!(
        pv(FieldType::Port, "nosuchservice").unwrap_err(),
        "unrecognized protocol nosuchservice"
    );
    assert_eq!(
        pv(FieldType::Port, " 22").unwrap_err(),
        "unrecognized protocol  22"
    );
    assert_eq!(
        pv(FieldType::Port, "-1").unwrap_err(),
        "unrecognized protocol -1"
    );
    assert_eq!(pv(FieldType::Port, "99999999999").unwrap_err(), "stoi");
    assert!(services().windows(2).all(|w| w[0].0 < w[1].0));
}

#[test]
fn b3_double_bool() {
    assert_eq!(pv(FieldType::Double, "3"), Ok(ParsedValue::Double(3.0)));
    assert_eq!(pv(FieldType::Double, "-3"), Ok(ParsedValue::Double(-3.0)));
    assert_eq!(
        pv(FieldType::Double, "1.0").unwrap_err(),
        "1.0 is not a valid number"
    );
    assert_eq!(pv(FieldType::Bool, "true"), Ok(ParsedValue::Bool(true)));
    assert_eq!(pv(FieldType::Bool, "false"), Ok(ParsedValue::Bool(false)));
    for bad in ["True", "1", "", "yes"] {
        assert_eq!(
            pv(FieldType::Bool, bad).unwrap_err(),
            format!("filter error: unrecognized boolean value {bad}")
        );
    }
}

#[test]
fn b3_strings_and_nul() {
    assert_eq!(
        pv(FieldType::Charbuf, "abc"),
        Ok(ParsedValue::Str(b"abc".to_vec()))
    );
    assert_eq!(pv(FieldType::Fspath, ""), Ok(ParsedValue::Str(Vec::new())));
    let nul = "filter error: filter value cannot contain a NUL byte (\\x00)";
    for ty in [
        FieldType::Charbuf,
        FieldType::Int64,
        FieldType::Uint64,
        FieldType::Bool,
        FieldType::Ipaddr,
        FieldType::Port,
    ] {
        assert_eq!(
            parse_value(ty, OpKind::Eq, b"a\0b").unwrap_err(),
            nul,
            "{ty}"
        );
    }
    assert_eq!(
        parse_value(FieldType::Bytebuf, OpKind::Eq, b"a\0b"),
        Ok(ParsedValue::Bytes(b"a\0b".to_vec()))
    );
    // storage limit: 255 bytes of text plus the terminator
    let long = "x".repeat(255);
    assert!(pv(FieldType::Charbuf, &long).is_ok());
    let longer = "x".repeat(256);
    assert_eq!(
        pv(FieldType::Charbuf, &longer).unwrap_err(),
        format!("filter parameter too long (used=257, available=256):{longer}")
    );
    assert_eq!(
        pv(FieldType::Bytebuf, &longer).unwrap_err(),
        "filter parameter too long (byte buf)"
    );
}

#[test]
fn b3_bytebuf_hex() {
    let b = |op, t: &str| parse_value(FieldType::Bytebuf, op, t.as_bytes());
    assert_eq!(
        b(OpKind::Bcontains, "0a0B"),
        Ok(ParsedValue::Bytes(vec![0x0a, 0x0b]))
    );
    assert_eq!(
        b(OpKind::Bstartswith, "7f454c46"),
        Ok(ParsedValue::Bytes(b"\x7fELF".to_vec()))
    );
    assert_eq!(b(OpKind::Bcontains, ""), Ok(ParsedValue::Bytes(Vec::new())));
    let hex = "filter error: bcontains and bstartswith operator support hex strings only";
    assert_eq!(b(OpKind::Bcontains, "abc").unwrap_err(), hex);
    assert_eq!(b(OpKind::Bcontains, "zz").unwrap_err(), hex);
    assert_eq!(
        b(OpKind::Contains, "zz"),
        Ok(ParsedValue::Bytes(b"zz".to_vec()))
    );
}

#[test]
fn b3_ip_addresses_and_networks() {
    use std::net::IpAddr;
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert_eq!(
        pv(FieldType::Ipaddr, "10.0.0.1"),
        Ok(ParsedValue::Ip(ip("10.0.0.1")))
    );
    assert_eq!(pv(FieldType::Ipaddr, "::1"), Ok(ParsedValue::Ip(ip("::1"))));
    assert_eq!(
        pv(FieldType::Ipv4addr, "1.2.3").unwrap_err(),
        "unrecognized IPv4 address 1.2.3"
    );
    assert_eq!(
        pv(FieldType::Ipaddr, "::ffff:1.2.3.4").unwrap_err(),
        "unrecognized IPv4 address ::ffff:1.2.3.4"
    );
    assert_eq!(
        pv(FieldType::Ipaddr, "zz").unwrap_err(),
        "unrecognized IPv6 address zz"
    );
    assert_eq!(
        pv(FieldType::Ipaddr, "256.1.1.1").unwrap_err(),
        "unrecognized IPv4 address 256.1.1.1"
    );

    assert_eq!(
        pv(FieldType::Ipnet, "10.0.0.0/8"),
        Ok(ParsedValue::Net(ip("10.0.0.0"), 8))
    );
    assert_eq!(
        pv(FieldType::Ipnet, "10.0.0.0/0"),
        Ok(ParsedValue::Net(ip("10.0.0.0"), 0))
    );
    assert_eq!(
        pv(FieldType::Ipnet, "10.0.0.0").unwrap_err(),
        "unrecognized IP network 10.0.0.0"
    );
    assert_eq!(
        pv(FieldType::Ipnet, "10.0.0.0/33").unwrap_err(),
        "invalid netmask 33"
    );
    assert_eq!(
        pv(FieldType::Ipnet, "10.0.0.0/x").unwrap_err(),
        "x is not a valid number"
    );
    assert_eq!(
        pv(FieldType::Ipnet, "300.0.0.0/8").unwrap_err(),
        "unrecognized IP address 300.0.0.0/8"
    );
    assert_eq!(
        pv(FieldType::Ipnet, "2001:db8::/32"),
        Ok(ParsedValue::Net(ip("2001:db8::"), 32))
    );
    assert_eq!(
        pv(FieldType::Ipnet, "2001:db8::").unwrap_err(),
        "invalid v6 netmask: 2001:db8::"
    );
    assert_eq!(
        pv(FieldType::Ipnet, "::/0").unwrap_err(),
        "invalid v6 netmask 0"
    );
    assert_eq!(
        pv(FieldType::Ipnet, "::/129").unwrap_err(),
        "invalid v6 netmask 129"
    );
    assert_eq!(
        pv(FieldType::Ipnet, "zz::q/64").unwrap_err(),
        "unrecognized IPv6 address zz::q/64"
    );
}

#[test]
fn b3_unparseable_types() {
    assert_eq!(
        pv(FieldType::Fdlist, "1").unwrap_err(),
        "wrong parameter type 16"
    );
    assert_eq!(
        pv(FieldType::Dynamic, "1").unwrap_err(),
        "wrong parameter type 27"
    );
}

#[test]
fn b3_field_specific_values() {
    let c = catalog();
    let v = |f: &str, ty, op, t: &str, p: &[&str]| c.parse_field_value(f, ty, op, t.as_bytes(), p);
    assert!(v("evt.type", FieldType::Charbuf, OpKind::Eq, "open", &[]).is_ok());
    assert!(v("evt.type", FieldType::Charbuf, OpKind::In, "execve", &[]).is_ok());
    assert!(v("evt.type", FieldType::Charbuf, OpKind::Eq, "_llseek", &[]).is_ok());
    assert_eq!(
        v("evt.type", FieldType::Charbuf, OpKind::Eq, "nosuch", &[]).unwrap_err(),
        "unknown event type nosuch"
    );
    assert!(v(
        "evt.type",
        FieldType::Charbuf,
        OpKind::Eq,
        "container_removed",
        &[]
    )
    .is_err());
    assert!(v(
        "evt.type",
        FieldType::Charbuf,
        OpKind::Eq,
        "container_removed",
        &["container"]
    )
    .is_ok());
    // syscall.type values are not validated
    assert!(v(
        "syscall.type",
        FieldType::Charbuf,
        OpKind::Eq,
        "nosuch",
        &[]
    )
    .is_ok());
    assert_eq!(
        v("evt.around", FieldType::Uint64, OpKind::Ne, "5", &[]).unwrap_err(),
        "evt.around supports only '=' comparison operator"
    );
    assert!(v("evt.around", FieldType::Uint64, OpKind::Eq, "5", &[]).is_ok());
    assert_eq!(
        v("evt.around", FieldType::Uint64, OpKind::Eq, "x", &[]).unwrap_err(),
        "x is not a valid number"
    );
}

// ---------------------------------------------------------- transformers

fn field(name: &str) -> ExtractorType {
    ExtractorType::field(&ok(name))
}

#[test]
fn b5_unary_transformers() {
    use TransformerKind as K;
    let t = |k, f: &str| transform_type(k, &[field(f)], None);
    let r = t(K::Tolower, "proc.name").unwrap();
    assert_eq!(r.current, ArgType::scalar(FieldType::Charbuf));
    assert_eq!(r.name, "proc.name");
    assert_eq!(
        t(K::Toupper, "fd.name").unwrap().current.ty,
        FieldType::Charbuf
    );
    assert_eq!(
        t(K::Basename, "proc.exepath").unwrap().current.ty,
        FieldType::Charbuf
    );
    assert_eq!(
        t(K::B64, "evt.buffer").unwrap().current.ty,
        FieldType::Bytebuf
    );
    assert_eq!(
        t(K::Len, "proc.name").unwrap().current,
        ArgType::scalar(FieldType::Uint64)
    );
    assert_eq!(
        t(K::Len, "evt.buffer").unwrap().current,
        ArgType::scalar(FieldType::Uint64)
    );
    assert_eq!(
        t(K::Len, "fd.types").unwrap().current,
        ArgType::scalar(FieldType::Uint64)
    );
    assert_eq!(
        t(K::Tolower, "fd.types").unwrap().current,
        ArgType::list(FieldType::Charbuf)
    );
    assert_eq!(
        t(K::Tolower, "evt.num").unwrap_err(),
        "can't add field transformer: type 'UINT64' is not supported by 'tolower' transformer applied on field 'evt.num'"
    );
    assert_eq!(
        t(K::Toupper, "evt.buffer").unwrap_err(),
        "can't add field transformer: type 'BYTEBUF' is not supported by 'toupper' transformer applied on field 'evt.buffer'"
    );
    assert_eq!(
        t(K::B64, "fd.sip").unwrap_err(),
        "can't add field transformer: type 'IPADDR' is not supported by 'b64' transformer applied on field 'fd.sip'"
    );
    assert_eq!(
        t(K::Len, "proc.pid").unwrap_err(),
        "can't add field transformer: type 'INT64' is not supported by 'len' transformer applied on field 'proc.pid'"
    );
    let list_u64 = ExtractorType::of_field(
        catalog().field("ka.user.groups").unwrap(),
        ArgType::list(FieldType::Uint64),
    );
    assert_eq!(
        transform_type(K::Tolower, &[list_u64], None).unwrap_err(),
        "can't add field transformer: type 'UINT64' is not supported by 'tolower' transformer applied on list field 'ka.user.groups'"
    );
    // nested: the name stays the field's, the type is the current one
    let inner = t(K::Len, "proc.name").unwrap();
    assert_eq!(
        transform_type(K::Tolower, &[inner], None).unwrap_err(),
        "can't add field transformer: type 'UINT64' is not supported by 'tolower' transformer applied on field 'proc.name'"
    );
    for f in [
        "proc.aname",
        "evt.rawarg.res",
        "fd.ip",
        "fd.cip.name",
        "evt.around[5]",
    ] {
        let name = ok(f).field.name;
        assert_eq!(
            t(K::Tolower, f).unwrap_err(),
            format!("field '{name}' does not support transformers")
        );
    }
    assert_eq!(
        transform_type(K::Tolower, &[field("proc.name")], Some("x")).unwrap_err(),
        "filter error: transformer 'tolower' does not support field arguments"
    );
    assert_eq!(
        t(K::Concat, "proc.name").unwrap_err(),
        "unknown field transfomer 'concat'"
    );
    assert_eq!(
        t(K::Join, "fd.types").unwrap_err(),
        "unknown field transfomer 'join'"
    );
    assert_eq!(
        transform_type(K::Tolower, &[field("proc.name"), field("proc.pname")], None).unwrap_err(),
        "unknown multivalue transformer"
    );
}

#[test]
fn b5_multivalue_transformers() {
    use TransformerKind as K;
    let lit = ExtractorType::literal();
    let list = ExtractorType::list();
    let types = field("fd.types");
    let name = field("proc.name");

    let j = transform_type(K::Join, &[lit, types], None).unwrap();
    assert_eq!(j.current, ArgType::scalar(FieldType::Charbuf));
    assert_eq!(j.kind, ExtractorKind::MultiValue);
    assert_eq!(
        transform_type(K::Join, &[lit, types, lit], None).unwrap_err(),
        "join() requires exactly 2 arguments: separator and list"
    );
    assert_eq!(
        transform_type(K::Join, &[list, types], None).unwrap_err(),
        "join() first argument (separator) must be a single value, not a list"
    );
    assert_eq!(
        transform_type(K::Join, &[lit, name], None).unwrap_err(),
        "join() second argument must be a list"
    );
    assert_eq!(
        transform_type(K::Join, &[lit, types], Some("x")).unwrap_err(),
        "transformer 'join' does not support field arguments"
    );

    assert_eq!(
        transform_type(K::Concat, &[name, lit, field("proc.pname")], None)
            .unwrap()
            .current,
        ArgType::scalar(FieldType::Charbuf)
    );
    assert_eq!(
        transform_type(K::Concat, &[name, field("proc.pid")], None).unwrap_err(),
        "concat() arguments must be strings"
    );
    assert_eq!(
        transform_type(K::Concat, &[name, types], None).unwrap_err(),
        "concat() arguments must be strings"
    );
    // libsinsp checks the declared type of a transformed argument
    let len_name = transform_type(K::Len, &[name], None).unwrap();
    assert!(transform_type(K::Concat, &[len_name, lit], None).is_ok());

    let g = transform_type(K::Getopt, &[list, lit], None).unwrap();
    assert_eq!(g.current, ArgType::list(FieldType::Charbuf));
    assert_eq!(g.current_name(), "INTERNAL");
    let g1 = transform_type(K::Getopt, &[types, lit], Some("c")).unwrap();
    assert_eq!(g1.current, ArgType::scalar(FieldType::Charbuf));
    assert_eq!(
        transform_type(K::Getopt, &[types, lit], Some("cd")).unwrap_err(),
        "getopt() field argument must be a single option character"
    );
    assert_eq!(
        transform_type(K::Getopt, &[types, lit, lit], None).unwrap_err(),
        "getopt() requires exactly 2 arguments: args list and optstring"
    );
    assert_eq!(
        transform_type(K::Getopt, &[name, lit], None).unwrap_err(),
        "getopt() first argument must be a list"
    );
    assert_eq!(
        transform_type(K::Getopt, &[types, list], None).unwrap_err(),
        "getopt() second argument (optstring) must be a single value"
    );
    let list_u64 = ExtractorType::of_field(
        catalog().field("ka.user.groups").unwrap(),
        ArgType::list(FieldType::Uint64),
    );
    assert_eq!(
        transform_type(K::Getopt, &[list_u64, lit], None).unwrap_err(),
        "getopt() arguments must be strings"
    );
    // transformers on a multi-value result
    let len_g = transform_type(K::Len, &[g], None).unwrap();
    assert_eq!(len_g.current, ArgType::scalar(FieldType::Uint64));
    let lower_j = transform_type(K::Tolower, &[j], None).unwrap();
    assert_eq!(lower_j.name, "NA");
}

#[test]
fn b6_right_hand_fields() {
    let name = field("proc.name");
    let pname = field("proc.pname");
    assert!(check_rhs_field(OpKind::Eq, &name, &pname).is_ok());
    assert_eq!(
        check_rhs_field(OpKind::Pmatch, &name, &pname).unwrap_err(),
        "operator 'PMATCH' doesn't support right-hand side fields"
    );
    assert_eq!(
        check_rhs_field(OpKind::Regex, &name, &pname).unwrap_err(),
        "operator 'REGEX' doesn't support right-hand side fields"
    );
    assert_eq!(
        check_rhs_field(OpKind::Eq, &field("fd.cnet"), &field("fd.sip")).unwrap_err(),
        "field type 'IPNET' doesn't support right-hand side fields"
    );
    assert_eq!(
        check_rhs_field(OpKind::Eq, &field("proc.aname"), &name).unwrap_err(),
        "field 'proc.aname' doesn't support right-hand side fields"
    );
    assert_eq!(
        check_rhs_field(OpKind::Eq, &name, &field("fd.types")).unwrap_err(),
        "field 'fd.types' can't be used as a right-hand side field"
    );
    assert_eq!(
        check_rhs_field(OpKind::Eq, &name, &field("proc.pid")).unwrap_err(),
        "field 'proc.name' has type 'CHARBUF' while the right-hand side field 'proc.pid' has incompatible type 'INT64'"
    );
    let g = transform_type(
        TransformerKind::Getopt,
        &[ExtractorType::list(), ExtractorType::literal()],
        None,
    )
    .unwrap();
    assert_eq!(
        check_rhs_field(OpKind::In, &name, &g).unwrap_err(),
        "field 'proc.name' has type 'CHARBUF' while the right-hand side field 'INTERNAL' has incompatible type 'CHARBUF (list)'"
    );
    let lower = transform_type(TransformerKind::Toupper, &[pname], None).unwrap();
    assert!(check_rhs_field(OpKind::Eq, &name, &lower).is_ok());
}

// ---------------------------------------------------------------- events

#[test]
fn event_universe_and_table() {
    let c = catalog();
    assert_eq!(EVENT_CODE_UNIVERSE, 454);
    assert_eq!(c.events().len(), 419);
    let mut codes: Vec<u16> = c.events().iter().map(|e| e.code).collect();
    codes.dedup();
    assert_eq!(codes.len(), 419);
    let na = c.event_codes_for_name("NA").len();
    assert_eq!(codes.len() + na, EVENT_CODE_UNIVERSE);
    let open = c.event(2).unwrap();
    assert_eq!((open.name, open.direction), ("open", Direction::Enter));
    let open_x = c.event(3).unwrap();
    assert_eq!(open_x.direction, Direction::Exit);
    assert!(open_x
        .params
        .iter()
        .any(|p| p.name == "flags" && p.ty == FieldType::Flags32));
    assert!(c.event(17).is_none());
    assert_eq!(c.event_name(17), Some("NA"));
    assert_eq!(c.event_name(454), None);
    assert_eq!(c.event(ASYNC_EVENT_CODE).unwrap().name, "asyncevent");
    assert_eq!(c.event(0).unwrap().name, "syscall");
    // a legacy layout points at its current one
    let legacy = c
        .events()
        .iter()
        .find(|e| e.current_code.is_some())
        .unwrap();
    assert!(legacy.old_version);
    assert_eq!(
        c.event(legacy.current_code.unwrap()).unwrap().name,
        legacy.name
    );
}

#[test]
fn event_codes_for_names() {
    let c = catalog();
    assert_eq!(c.event_codes_for_name("open"), &[2, 3]);
    assert!(c.event_codes_for_name("execve").len() >= 4);
    assert!(c.event_codes_for_name("accept").contains(&246));
    // a name that is only a system call maps to the generic events
    assert_eq!(c.event_codes_for_name("_llseek"), &GENERIC_EVENT_CODES);
    assert_eq!(c.event_codes_for_name("syscall"), &[] as &[u16]);
    assert_eq!(c.event_codes_for_name("nosuch"), &[] as &[u16]);
    assert_eq!(c.event_codes_for_name("container"), &[228, 272, 324]);
    let with = c.event_codes_for_name_with_plugins("container", &["container"]);
    assert_eq!(with.to_vec(), vec![228, 272, 324, ASYNC_EVENT_CODE]);
    let removed = c.event_codes_for_name_with_plugins("container_removed", &["container"]);
    assert_eq!(removed.to_vec(), vec![ASYNC_EVENT_CODE]);
    assert!(c
        .event_codes_for_name_with_plugins("container_removed", &[])
        .is_empty());
    assert_eq!(
        c.event_codes_for_name_with_plugins("open", &["container"])
            .to_vec(),
        vec![2, 3]
    );
    // every code of the universe is reachable by name
    let mut all: Vec<u16> = Vec::new();
    for n in c.event_type_names() {
        all.extend_from_slice(c.event_codes_for_name(n));
    }
    all.extend_from_slice(&GENERIC_EVENT_CODES);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), EVENT_CODE_UNIVERSE);
}

#[test]
fn event_type_names() {
    let c = catalog();
    assert!(c.is_event_type_name("open", &[]));
    assert!(c.is_event_type_name("syscall", &[]));
    assert!(c.is_event_type_name("NA", &[]));
    assert!(c.is_event_type_name("_llseek", &[]));
    assert!(c.is_event_type_name("k8s", &[]));
    assert!(!c.is_event_type_name("krsi_open", &[]));
    assert!(c.is_event_type_name("krsi_open", &["krsi"]));
    assert!(!c.is_event_type_name("nosuch", &["container"]));
    assert_eq!(
        c.async_event_plugin("container_removed", &["container"]),
        Some("container")
    );
    assert_eq!(c.event_name_first_code("open"), Some(("open", 2)));
    assert_eq!(c.event_name_first_code("syscall"), Some(("syscall", 0)));
}

#[test]
fn event_params() {
    let c = catalog();
    assert_eq!(c.event_param("res").unwrap().first_type, FieldType::Errno);
    assert_eq!(c.event_param("fd").unwrap().first_type, FieldType::Fd);
    assert!(c.event_param("nosuch").is_none());
    assert_eq!(c.longest_event_param("arg2_intx").unwrap().name, "arg2_int");
    assert_eq!(c.longest_event_param("fdx").unwrap().name, "fd");
    assert_eq!(c.longest_event_param("fd1").unwrap().name, "fd1");
    assert!(c.longest_event_param("zzz").is_none());
    assert!(c.longest_event_param("").is_none());
}

// ------------------------------------------------------------- indexes

#[test]
fn key_indexes_agree_with_naive_search() {
    let c = catalog();
    let names: Vec<&str> = c.fields().iter().map(|f| f.name).collect();
    let mut texts: Vec<String> = Vec::new();
    for n in &names {
        texts.push(n.to_string());
        texts.push(format!("{n}x"));
        texts.push(format!("{n}[1]"));
        texts.push(format!("{n}.a"));
        texts.push(n[..n.len() - 1].to_string());
    }
    texts.push(String::new());
    texts.push("zzzz".into());
    for t in &texts {
        assert_eq!(
            c.field(t).map(|f| f.name),
            names.iter().find(|n| *n == t).copied(),
            "{t}"
        );
        let naive: Vec<&str> = {
            let mut v: Vec<&str> = names.iter().copied().filter(|n| t.starts_with(n)).collect();
            v.sort_by_key(|n| std::cmp::Reverse(n.len()));
            v
        };
        let mut out = [0u16; 16];
        let n =
            crate::field_names().prefixes_of(t, &crate::generated::FIELD_PREFIX_PARENT, &mut out);
        let got: Vec<&str> = out[..n].iter().map(|i| names[*i as usize]).collect();
        assert_eq!(got, naive, "{t}");
    }
    for n in c.event_type_names() {
        assert!(c.is_event_type_name(n, &[]));
        assert!(
            !c.is_event_type_name(&format!("{n}x"), &[])
                || c.event_type_names().contains(&format!("{n}x").as_str())
        );
    }
    for p in c.event_param_names() {
        assert_eq!(c.event_param(p.name).unwrap().name, p.name);
        let naive = c
            .event_param_names()
            .iter()
            .filter(|q| format!("{}zz", p.name).starts_with(q.name))
            .max_by_key(|q| q.name.len())
            .unwrap();
        assert_eq!(
            c.longest_event_param(&format!("{}zz", p.name))
                .unwrap()
                .name,
            naive.name
        );
    }
}

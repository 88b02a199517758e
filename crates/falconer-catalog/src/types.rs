//! Plain data types of the catalog: field types, field records, event records.

use std::fmt;

/// A libsinsp parameter/field type (`ppm_param_type`).
///
/// Covers every type name that appears in `fields.json`, in the parameters
/// of `events.json` and in LANGUAGE.md B.2, plus the few remaining driver
/// types, so that any type a field or an `evt.rawarg.<param>` can take is
/// representable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldType {
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Charbuf,
    Bytebuf,
    Errno,
    Sockaddr,
    Socktuple,
    Fd,
    Pid,
    Fdlist,
    Fspath,
    Syscallid,
    Sigtype,
    Reltime,
    Abstime,
    Port,
    L4proto,
    Sockfamily,
    Bool,
    Ipv4addr,
    /// `DYNAMIC`: the type depends on the event (only `evt.rawarg` before
    /// its parameter is known, and a few event parameters).
    Dynamic,
    Flags8,
    Flags16,
    Flags32,
    Uid,
    Gid,
    Double,
    Sigset,
    Charbufarray,
    CharbufPairArray,
    Ipv4net,
    Ipv6addr,
    Ipv6net,
    Ipaddr,
    Ipnet,
    Mode,
    Fsrelpath,
    Enumflags8,
    Enumflags16,
    Enumflags32,
    Fd32,
    Pid32,
}

impl FieldType {
    /// Every type, in `ppm_param_type` order.
    pub const ALL: [FieldType; 48] = [
        FieldType::Int8,
        FieldType::Int16,
        FieldType::Int32,
        FieldType::Int64,
        FieldType::Uint8,
        FieldType::Uint16,
        FieldType::Uint32,
        FieldType::Uint64,
        FieldType::Charbuf,
        FieldType::Bytebuf,
        FieldType::Errno,
        FieldType::Sockaddr,
        FieldType::Socktuple,
        FieldType::Fd,
        FieldType::Pid,
        FieldType::Fdlist,
        FieldType::Fspath,
        FieldType::Syscallid,
        FieldType::Sigtype,
        FieldType::Reltime,
        FieldType::Abstime,
        FieldType::Port,
        FieldType::L4proto,
        FieldType::Sockfamily,
        FieldType::Bool,
        FieldType::Ipv4addr,
        FieldType::Dynamic,
        FieldType::Flags8,
        FieldType::Flags16,
        FieldType::Flags32,
        FieldType::Uid,
        FieldType::Gid,
        FieldType::Double,
        FieldType::Sigset,
        FieldType::Charbufarray,
        FieldType::CharbufPairArray,
        FieldType::Ipv4net,
        FieldType::Ipv6addr,
        FieldType::Ipv6net,
        FieldType::Ipaddr,
        FieldType::Ipnet,
        FieldType::Mode,
        FieldType::Fsrelpath,
        FieldType::Enumflags8,
        FieldType::Enumflags16,
        FieldType::Enumflags32,
        FieldType::Fd32,
        FieldType::Pid32,
    ];

    /// The upper-case type name (`CHARBUF`, `UINT64`, `DYNAMIC`, ...), as
    /// written in the catalog data and in the spec.
    pub const fn as_str(self) -> &'static str {
        match self {
            FieldType::Int8 => "INT8",
            FieldType::Int16 => "INT16",
            FieldType::Int32 => "INT32",
            FieldType::Int64 => "INT64",
            FieldType::Uint8 => "UINT8",
            FieldType::Uint16 => "UINT16",
            FieldType::Uint32 => "UINT32",
            FieldType::Uint64 => "UINT64",
            FieldType::Charbuf => "CHARBUF",
            FieldType::Bytebuf => "BYTEBUF",
            FieldType::Errno => "ERRNO",
            FieldType::Sockaddr => "SOCKADDR",
            FieldType::Socktuple => "SOCKTUPLE",
            FieldType::Fd => "FD",
            FieldType::Pid => "PID",
            FieldType::Fdlist => "FDLIST",
            FieldType::Fspath => "FSPATH",
            FieldType::Syscallid => "SYSCALLID",
            FieldType::Sigtype => "SIGTYPE",
            FieldType::Reltime => "RELTIME",
            FieldType::Abstime => "ABSTIME",
            FieldType::Port => "PORT",
            FieldType::L4proto => "L4PROTO",
            FieldType::Sockfamily => "SOCKFAMILY",
            FieldType::Bool => "BOOL",
            FieldType::Ipv4addr => "IPV4ADDR",
            FieldType::Dynamic => "DYNAMIC",
            FieldType::Flags8 => "FLAGS8",
            FieldType::Flags16 => "FLAGS16",
            FieldType::Flags32 => "FLAGS32",
            FieldType::Uid => "UID",
            FieldType::Gid => "GID",
            FieldType::Double => "DOUBLE",
            FieldType::Sigset => "SIGSET",
            FieldType::Charbufarray => "CHARBUFARRAY",
            FieldType::CharbufPairArray => "CHARBUF_PAIR_ARRAY",
            FieldType::Ipv4net => "IPV4NET",
            FieldType::Ipv6addr => "IPV6ADDR",
            FieldType::Ipv6net => "IPV6NET",
            FieldType::Ipaddr => "IPADDR",
            FieldType::Ipnet => "IPNET",
            FieldType::Mode => "MODE",
            FieldType::Fsrelpath => "FSRELPATH",
            FieldType::Enumflags8 => "ENUMFLAGS8",
            FieldType::Enumflags16 => "ENUMFLAGS16",
            FieldType::Enumflags32 => "ENUMFLAGS32",
            FieldType::Fd32 => "FD32",
            FieldType::Pid32 => "PID32",
        }
    }

    /// The name libsinsp prints for this type inside its error messages
    /// (`param_type_to_string`). Identical to [`FieldType::as_str`] except
    /// for the four types that function does not know, which print as
    /// `<NA>`: `IPV6ADDR`, `IPV6NET`, `FD32` and `PID32`.
    pub const fn message_name(self) -> &'static str {
        match self {
            FieldType::Ipv6addr | FieldType::Ipv6net | FieldType::Fd32 | FieldType::Pid32 => "<NA>",
            t => t.as_str(),
        }
    }

    /// Parses an upper-case type name (with or without a `PT_` prefix;
    /// `DYN` is accepted for `DYNAMIC`).
    pub fn from_name(s: &str) -> Option<FieldType> {
        let s = s.strip_prefix("PT_").unwrap_or(s);
        if s == "DYN" {
            return Some(FieldType::Dynamic);
        }
        FieldType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The numeric `ppm_param_type` value.
    pub const fn pt_code(self) -> u8 {
        match self {
            FieldType::Int8 => 1,
            FieldType::Int16 => 2,
            FieldType::Int32 => 3,
            FieldType::Int64 => 4,
            FieldType::Uint8 => 5,
            FieldType::Uint16 => 6,
            FieldType::Uint32 => 7,
            FieldType::Uint64 => 8,
            FieldType::Charbuf => 9,
            FieldType::Bytebuf => 10,
            FieldType::Errno => 11,
            FieldType::Sockaddr => 12,
            FieldType::Socktuple => 13,
            FieldType::Fd => 14,
            FieldType::Pid => 15,
            FieldType::Fdlist => 16,
            FieldType::Fspath => 17,
            FieldType::Syscallid => 18,
            FieldType::Sigtype => 19,
            FieldType::Reltime => 20,
            FieldType::Abstime => 21,
            FieldType::Port => 22,
            FieldType::L4proto => 23,
            FieldType::Sockfamily => 24,
            FieldType::Bool => 25,
            FieldType::Ipv4addr => 26,
            FieldType::Dynamic => 27,
            FieldType::Flags8 => 28,
            FieldType::Flags16 => 29,
            FieldType::Flags32 => 30,
            FieldType::Uid => 31,
            FieldType::Gid => 32,
            FieldType::Double => 33,
            FieldType::Sigset => 34,
            FieldType::Charbufarray => 35,
            FieldType::CharbufPairArray => 36,
            FieldType::Ipv4net => 37,
            FieldType::Ipv6addr => 38,
            FieldType::Ipv6net => 39,
            FieldType::Ipaddr => 40,
            FieldType::Ipnet => 41,
            FieldType::Mode => 42,
            FieldType::Fsrelpath => 43,
            FieldType::Enumflags8 => 44,
            FieldType::Enumflags16 => 45,
            FieldType::Enumflags32 => 46,
            FieldType::Fd32 => 47,
            FieldType::Pid32 => 48,
        }
    }

    /// `CHARBUF`, `FSPATH`, `FSRELPATH`: the string types.
    pub const fn is_string(self) -> bool {
        matches!(
            self,
            FieldType::Charbuf | FieldType::Fspath | FieldType::Fsrelpath
        )
    }

    /// The types B.2 treats as numeric (relational operators allowed).
    pub const fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Int8
                | FieldType::Int16
                | FieldType::Int32
                | FieldType::Int64
                | FieldType::Uint8
                | FieldType::Uint16
                | FieldType::Uint32
                | FieldType::Uint64
                | FieldType::Errno
                | FieldType::Fd
                | FieldType::Pid
                | FieldType::Syscallid
                | FieldType::Sigtype
                | FieldType::Reltime
                | FieldType::Abstime
                | FieldType::Port
                | FieldType::Flags8
                | FieldType::Flags16
                | FieldType::Flags32
                | FieldType::Enumflags8
                | FieldType::Enumflags16
                | FieldType::Enumflags32
                | FieldType::Mode
                | FieldType::Double
        )
    }

    /// IP address and network types.
    pub const fn is_ip(self) -> bool {
        matches!(
            self,
            FieldType::Ipv4addr
                | FieldType::Ipv6addr
                | FieldType::Ipaddr
                | FieldType::Ipv4net
                | FieldType::Ipv6net
                | FieldType::Ipnet
        )
    }

    /// IP network (CIDR) types.
    pub const fn is_ip_net(self) -> bool {
        matches!(
            self,
            FieldType::Ipv4net | FieldType::Ipv6net | FieldType::Ipnet
        )
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A type plus list-ness: what an extraction yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArgType {
    pub ty: FieldType,
    pub is_list: bool,
}

impl ArgType {
    pub const fn new(ty: FieldType, is_list: bool) -> ArgType {
        ArgType { ty, is_list }
    }
    pub const fn scalar(ty: FieldType) -> ArgType {
        ArgType { ty, is_list: false }
    }
    pub const fn list(ty: FieldType) -> ArgType {
        ArgType { ty, is_list: true }
    }
}

impl fmt::Display for ArgType {
    /// `CHARBUF` or `CHARBUF (list)`, the libsinsp spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ty.message_name())?;
        if self.is_list {
            f.write_str(" (list)")?;
        }
        Ok(())
    }
}

/// Whether a field takes an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgRequirement {
    /// The field takes no argument (one makes the name unresolvable).
    None,
    /// The argument is optional.
    Allowed,
    /// The argument is mandatory.
    Required,
}

/// What the argument of a field denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// A number (`proc.aname[2]`).
    Index,
    /// A name (`proc.env[HOME]`, `evt.arg.flags`).
    Key,
    /// Either (`proc.aenv[1]`, `proc.aenv[PATH]`).
    IndexOrKey,
}

/// One accepted way of writing a field's argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgForm {
    /// `field[N]`.
    BracketIndex,
    /// `field[KEY]`.
    BracketKey,
    /// `field.PARAM` with an event parameter name (`evt.arg.flags`).
    DotEventParam,
    /// `field.NAME` / `field.N` with an event type (`evt.type.is.open`).
    DotEventType,
    /// `field.V` with one of a fixed set of words (`evt.abspath.src`).
    DotEnum(&'static [&'static str]),
    /// `field.SUBSYSTEM` with a cgroup subsystem (`thread.cgroup.cpuacct`).
    DotCgroupSubsystem,
}

impl ArgForm {
    /// Whether this form is written with `.` after the field name.
    pub const fn is_dot(self) -> bool {
        !matches!(self, ArgForm::BracketIndex | ArgForm::BracketKey)
    }
}

/// The libsinsp field class ("filter check") that owns a field. Resolution
/// offers a name to the classes in this order, then to plugin classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckClass {
    /// `sinsp_filter_check_gen_event`: source-agnostic `evt.*` fields.
    GenEvent,
    /// `sinsp_filter_check_event`: syscall `evt.*` and `syscall.type`.
    Event,
    /// `sinsp_filter_check_thread`: `proc.*`, `thread.*`.
    Thread,
    /// `sinsp_filter_check_user`: `user.*`.
    User,
    /// `sinsp_filter_check_group`: `group.*`.
    Group,
    /// `sinsp_filter_check_fd`: `fd.*`.
    Fd,
    /// `sinsp_filter_check_fspath`: `fs.path.*`.
    FsPath,
    /// `sinsp_filter_check_utils`: `util.*`.
    Utils,
    /// `sinsp_filter_check_fdlist`: `fdlist.*`.
    FdList,
    /// A plugin's field class (see [`FieldInfo::plugin`]).
    Plugin,
}

impl CheckClass {
    /// The built-in classes, in resolution order.
    pub const LIBS_ORDER: [CheckClass; 9] = [
        CheckClass::GenEvent,
        CheckClass::Event,
        CheckClass::Thread,
        CheckClass::User,
        CheckClass::Group,
        CheckClass::Fd,
        CheckClass::FsPath,
        CheckClass::Utils,
        CheckClass::FdList,
    ];
}

/// How libsinsp prints a value of a field or parameter (`ppm_print_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrintFormat {
    Na,
    Dec,
    Hex,
    Oct,
    PaddedDec10,
    Id,
    Dir,
}

/// One filter field (libs or plugin).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FieldInfo {
    /// The field name, without argument (`proc.aname`, `evt.arg`).
    pub name: &'static str,
    /// The event source: `syscall`, `k8s_audit`, `aws_cloudtrail`, `okta`,
    /// `github`, `gcp_auditlog`, or `*` for every source.
    pub source: &'static str,
    /// The plugin providing the field; `None` for libsinsp fields.
    pub plugin: Option<&'static str>,
    /// The libs class name (`evt`, `process`, `user`, `group`, `fd`,
    /// `fs.path`, `util`, `fdlist`) or the plugin name.
    pub class: &'static str,
    /// The libsinsp class ("filter check") that resolves the name.
    pub check_class: CheckClass,
    /// The declared type (`DYNAMIC` for `evt.rawarg`, see
    /// [`Resolved::ty`](crate::Resolved) for the effective one).
    pub ty: FieldType,
    /// The field yields a list of values.
    pub is_list: bool,
    /// Whether an argument is accepted.
    pub arg: ArgRequirement,
    /// What the argument denotes, if one is accepted.
    pub arg_kind: Option<ArgKind>,
    /// How the argument is written (empty when none is accepted).
    pub arg_forms: &'static [ArgForm],
    /// Falco warns about uses of the field, or the plugin documents it as
    /// deprecated (see [`FieldInfo::replaced_by`]).
    pub deprecated: bool,
    /// Only meaningful in conditions (`fd.ip`, `evt.around`, ...).
    pub filter_only: bool,
    /// Only meaningful in outputs (`evt.outputtime`).
    pub output_only: bool,
    /// Internal to sysdig-style tables; not for rules.
    pub table_only: bool,
    /// Cannot take or be a right-hand-side field (B.6).
    pub no_rhs: bool,
    /// Cannot be wrapped in a transformer (B.5).
    pub no_transformer: bool,
    /// Hidden from field listings (plugin `hidden` property).
    pub hidden: bool,
    /// Other names of the same field (plugins).
    pub aliases: &'static [&'static str],
    /// The field this one is an alias of (plugins).
    pub alias_of: Option<&'static str>,
    /// The field (with argument) that replaces this deprecated one.
    pub replaced_by: Option<&'static str>,
    /// Other plugin names that provide the same field (e.g. the
    /// `k8saudit-eks` flavour of `k8saudit`).
    pub also_provided_by: &'static [&'static str],
    /// Event sources the plugin extracts from (empty: any).
    pub extract_sources: &'static [&'static str],
    /// How values are printed.
    pub print_format: PrintFormat,
    pub(crate) description: Option<&'static str>,
}

impl FieldInfo {
    /// Whether the field is provided by libsinsp itself.
    pub const fn is_builtin(&self) -> bool {
        self.plugin.is_none()
    }

    /// The argument is mandatory.
    pub const fn requires_arg(&self) -> bool {
        matches!(self.arg, ArgRequirement::Required)
    }

    /// An argument is accepted (allowed or required).
    pub const fn accepts_arg(&self) -> bool {
        !matches!(self.arg, ArgRequirement::None)
    }

    /// A one-line human description: our own text from
    /// `data/descriptions.tsv` when there is one, else one generated from
    /// the field class and type.
    pub fn description(&self) -> String {
        match self.description {
            Some(d) => d.to_string(),
            None => {
                let class = crate::class_description(self.class)
                    .map(|d| d.trim_end_matches('.'))
                    .unwrap_or(self.class);
                let list = if self.is_list { " list" } else { "" };
                format!("{}{list} field. {class}.", self.ty.as_str())
            }
        }
    }

    /// The hand-written description, if the field has one.
    pub const fn own_description(&self) -> Option<&'static str> {
        self.description
    }

    /// The field's type as an [`ArgType`] (declared type).
    pub const fn arg_type(&self) -> ArgType {
        ArgType {
            ty: self.ty,
            is_list: self.is_list,
        }
    }
}

/// Direction of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Enter,
    Exit,
}

/// What produces an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Syscall,
    Tracepoint,
    Metaevent,
    Plugin,
    Iter,
}

/// Event flags (`EF_*`), as a bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct EventFlags(pub u16);

impl EventFlags {
    pub const CREATES_FD: u16 = 1 << 0;
    pub const DESTROYS_FD: u16 = 1 << 1;
    pub const USES_FD: u16 = 1 << 2;
    pub const READS_FROM_FD: u16 = 1 << 3;
    pub const WRITES_TO_FD: u16 = 1 << 4;
    pub const MODIFIES_STATE: u16 = 1 << 5;
    pub const WAITS: u16 = 1 << 6;
    pub const SKIPPARSERESET: u16 = 1 << 7;
    pub const OLD_VERSION: u16 = 1 << 8;
    pub const LARGE_PAYLOAD: u16 = 1 << 9;
    pub const CONVERTER_MANAGED: u16 = 1 << 10;

    pub const fn contains(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

/// One event parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamInfo {
    pub name: &'static str,
    pub ty: FieldType,
    pub print_format: PrintFormat,
    /// The flag/enum table that names the bits or values (`file_flags`).
    pub info: Option<&'static str>,
    /// For `FSRELPATH` parameters: the index of the dirfd parameter.
    pub dirfd_param: Option<u8>,
}

/// One driver event type (one code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EventInfo {
    /// The numeric id stored in captures (`ppm_event_code`).
    pub code: u16,
    /// The name `evt.type` shows (`open`, `execve`, ...).
    pub name: &'static str,
    pub direction: Direction,
    /// `file`, `process`, `net`, ...
    pub category: &'static str,
    pub kind: EventKind,
    pub flags: EventFlags,
    /// Parameter lengths are 32-bit in the capture format.
    pub large_payload: bool,
    /// An older layout of the event (`EF_OLD_VERSION` or a legacy version).
    pub old_version: bool,
    /// For an entry from `legacy_versions`: the code of the current layout.
    pub current_code: Option<u16>,
    pub params: &'static [ParamInfo],
}

/// An event parameter name valid after `evt.arg.` / `evt.rawarg.`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventParamName {
    pub name: &'static str,
    /// The type of the first parameter with that name in event-code order:
    /// the type `evt.rawarg.<name>` takes.
    pub first_type: FieldType,
    /// Every type a parameter of that name has somewhere.
    pub types: &'static [FieldType],
    /// The events having a parameter of that name.
    pub events: &'static [&'static str],
}

/// A plugin known to the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PluginInfo {
    pub name: &'static str,
    /// Other plugin names providing the same fields (flavours).
    pub also_known_as: &'static [&'static str],
    /// The event source the plugin produces, if it is a source plugin.
    pub event_source: Option<&'static str>,
    /// The sources its fields apply to (`*` = every source).
    pub field_sources: &'static [&'static str],
    /// Async event names the plugin declares (valid `evt.type` values when
    /// loaded).
    pub async_events: &'static [&'static str],
    /// Number of fields it provides.
    pub field_count: u16,
}

//! Live eBPF capture for falconer (`falconer probe`): a CO-RE probe written
//! in C (`bpf/probe.bpf.c`, tp_btf programs, one ring buffer) loaded with
//! aya; its records become scap events that run through the same state and
//! engine as `falconer replay`, and can be recorded as a scap capture.
//!
//! - [`loader`]: load, attach, drain, detach; requirement checks.
//! - [`record`]: the kernel's record layout.
//! - [`syscalls`]: the captured system calls and their event codes.
//! - [`convert`]: records → scap events (Falco's layouts and flag values).
//! - [`procfs`]: the state at start from /proc.
//! - [`docker`]: container metadata from the Docker API.
//! - [`session`]: the live pipeline.
//! - [`testenv`]: support for live tests and fixtures (docker-named
//!   cgroups, skip reasons).
pub mod convert;
pub mod docker;
pub mod loader;
pub mod procfs;
pub mod record;
pub mod session;
pub mod syscalls;
pub mod testenv;

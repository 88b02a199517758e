use falconer_probe::loader::*;
use falconer_probe::record::*;
struct L;
impl log::Log for L {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        let m = format!("{}", r.args());
        if false {
            eprintln!("LOG {} {}", r.level(), m);
        }
    }
    fn flush(&self) {}
}
fn main() {
    log::set_logger(&L).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let mut p = match Probe::load(&ProbeOptions::default()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    };
    // openat: path arg1, file info
    p.set_syscall(257, spec::CAPTURE | spec::path_a(1) | spec::FILE_RET)
        .unwrap();
    p.set_syscall(59, spec::CAPTURE | spec::path_a(0) | spec::SKIP_SUCCESS)
        .unwrap();
    p.set_syscall(42, spec::CAPTURE | spec::sockaddr(1) | spec::TUPLE_ARG0)
        .unwrap();
    p.attach().unwrap();
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg("cat /etc/hostname >/dev/null; curl -s --max-time 1 http://127.0.0.1:9/ || true")
        .status();
    std::thread::sleep(std::time::Duration::from_millis(50));
    p.detach();
    p.drain(|b| {
        let r = Record::parse(b).unwrap();
        if r.kind == kind::SYSCALL
            && r.nr == 257
            && !String::from_utf8_lossy(r.param(0)).contains("hostname")
        {
            return;
        }
        println!(
            "kind={} nr={} tid={} ret={} params={:?}",
            r.kind,
            r.nr,
            r.tid,
            r.ret,
            r.params
                .iter()
                .map(|p| String::from_utf8_lossy(&p[..p.len().min(200)]).to_string())
                .collect::<Vec<_>>()
        );
        if r.kind == kind::EXEC || r.kind == kind::FORK {
            println!("   {:?}", ProcInfo::parse(r.param(6)));
        }
    });
    println!("{:?}", p.counters());
}

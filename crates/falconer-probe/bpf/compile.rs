// Shared by build.rs and tests/object.rs (included with `#[path]`): how the
// kernel object is compiled from the C sources, and the stamp recorded next
// to the committed object.
//
// The object is compiled from inside `bpf/` with relative paths and
// `-fdebug-prefix-map`, then stripped of DWARF (`llvm-strip -g` keeps .BTF
// and .BTF.ext, which CO-RE needs): the bytes depend on the sources and
// the clang version only, not on where the checkout lives.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The C sources, in hashing order.
pub const SOURCES: &[&str] = &["probe.bpf.c", "falconer_kernel.h"];
pub const OBJECT: &str = "probe.bpf.o";
pub const STAMP: &str = "probe.bpf.o.stamp";

/// SHA-256 (FIPS 180-4), enough for stamps.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v[7] = v[6];
            v[6] = v[5];
            v[5] = v[4];
            v[4] = v[3].wrapping_add(t1);
            v[3] = v[2];
            v[2] = v[1];
            v[1] = v[0];
            v[0] = t1.wrapping_add(t2);
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let mut out = [0u8; 32];
    for i in 0..8 {
        out[4 * i..4 * i + 4].copy_from_slice(&h[i].to_be_bytes());
    }
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of the C sources (names and contents, in [`SOURCES`] order).
pub fn sources_hash(dir: &Path) -> Result<String, String> {
    let mut all = Vec::new();
    for s in SOURCES {
        let p = dir.join(s);
        let text = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        all.extend_from_slice(s.as_bytes());
        all.push(0);
        all.extend_from_slice(&(text.len() as u64).to_le_bytes());
        all.extend_from_slice(&text);
    }
    Ok(hex(&sha256(&all)))
}

/// The stamp of a committed object: what it was built from and with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub sources_sha256: String,
    pub object_sha256: String,
    pub clang: String,
}

impl Stamp {
    pub fn parse(text: &str) -> Result<Stamp, String> {
        let mut s = Stamp {
            sources_sha256: String::new(),
            object_sha256: String::new(),
            clang: String::new(),
        };
        for line in text.lines() {
            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
            match k {
                "sources-sha256" => s.sources_sha256 = v.trim().to_string(),
                "object-sha256" => s.object_sha256 = v.trim().to_string(),
                "clang" => s.clang = v.trim().to_string(),
                _ => {}
            }
        }
        if s.sources_sha256.is_empty() || s.object_sha256.is_empty() {
            return Err("stamp lacks sources-sha256 or object-sha256".into());
        }
        Ok(s)
    }

    pub fn render(&self) -> String {
        format!(
            "sources-sha256 {}\nobject-sha256 {}\nclang {}\n",
            self.sources_sha256, self.object_sha256, self.clang
        )
    }
}

fn find_tool(names: &[&str]) -> Option<PathBuf> {
    for n in names {
        if let Ok(out) = Command::new(n).arg("--version").output() {
            if out.status.success() {
                return Some(PathBuf::from(n));
            }
        }
    }
    None
}

/// `clang` (or a versioned Debian name) when installed.
pub fn find_clang() -> Option<PathBuf> {
    find_tool(&[
        "clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14",
    ])
}

pub fn find_strip() -> Option<PathBuf> {
    find_tool(&[
        "llvm-strip",
        "llvm-strip-19",
        "llvm-strip-18",
        "llvm-strip-17",
        "llvm-strip-16",
        "llvm-strip-15",
        "llvm-strip-14",
    ])
}

/// The first line of `clang --version`.
pub fn clang_version(clang: &Path) -> String {
    Command::new(clang)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_default()
}

/// Compiles `dir/probe.bpf.c` into `out` (then strips DWARF). Errors carry
/// the compiler's messages.
pub fn compile(dir: &Path, out: &Path, clang: &Path, strip: &Path) -> Result<(), String> {
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let prefix_map = format!("-fdebug-prefix-map={}=.", dir.display());
    let o = Command::new(clang)
        .current_dir(&dir)
        .args([
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-D__TARGET_ARCH_x86",
            "-I.",
            "-Wall",
            "-Wno-unused-function",
            "-fno-ident",
            &prefix_map,
            "-c",
            "probe.bpf.c",
            "-o",
        ])
        .arg(out)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", clang.display()))?;
    if !o.status.success() {
        return Err(format!(
            "{} failed:\n{}",
            clang.display(),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    let s = Command::new(strip)
        .arg("-g")
        .arg(out)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", strip.display()))?;
    if !s.status.success() {
        return Err(format!(
            "{} failed:\n{}",
            strip.display(),
            String::from_utf8_lossy(&s.stderr)
        ));
    }
    Ok(())
}

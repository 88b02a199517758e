//! Path joining and normalisation as libsinsp does it
//! (`sinsp_utils::concatenate_paths`, current libs).

/// libscap's `SCAP_MAX_PATH_SIZE`.
pub const MAX_PATH: usize = 1024;

/// Joins `base` (a directory, normally ending in `/`) and `path`: an
/// absolute or empty `path` ignores `base`. `.` and `..` components at the
/// start of a component are resolved, repeated `/` collapse, a trailing `/`
/// is dropped (except for `/` itself). Bytes are kept as they are.
///
/// Like libsinsp, a result that would not fit in `SCAP_MAX_PATH_SIZE`
/// is replaced by `/DIR_TOO_LONG/FILENAME_TOO_LONG`.
pub fn concatenate_paths(base: &[u8], path: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    concatenate_paths_into(&mut out, base, path);
    out
}

/// [`concatenate_paths`] into `out` (cleared first), reusing its
/// allocation.
pub fn concatenate_paths_into(out: &mut Vec<u8>, base: &[u8], path: &[u8]) {
    out.clear();
    // libsinsp works on C strings: both parts end at their first NUL.
    let base = until_nul(base);
    let path = until_nul(path);
    if base.len() + path.len() + 1 > MAX_PATH {
        out.extend_from_slice(b"/DIR_TOO_LONG/FILENAME_TOO_LONG");
        return;
    }
    out.reserve(base.len() + path.len() + 1);
    // `targetbase` is always the start of the output; the copy starts after
    // the base when the path is relative.
    let empty_base = if !path.is_empty() && path[0] != b'/' {
        out.extend_from_slice(base);
        out.is_empty()
    } else {
        true
    };
    normalize_into(out, path, empty_base);
}

fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Moves the output back to just after the previous `/` (libsinsp's
/// `rewind_to_parent_path`).
fn rewind(out: &mut Vec<u8>) {
    if out.len() <= 1 {
        return;
    }
    out.pop();
    while !out.is_empty() && out[out.len() - 1] != b'/' {
        out.pop();
    }
}

fn normalize_into(out: &mut Vec<u8>, path: &[u8], empty_base: bool) {
    let at = |i: usize| path.get(i).copied().unwrap_or(0);
    let mut i = 0;
    loop {
        let c = at(i);
        if c == 0 {
            if out.len() > 1 && out[out.len() - 1] == b'/' {
                out.pop();
            }
            return;
        }
        let at_component_start = out.is_empty() || out[out.len() - 1] == b'/';
        if c == b'.' && at_component_start {
            if at(i + 1) == b'.' && at(i + 2) == b'/' {
                rewind(out);
                i += 3;
            } else if at(i + 1) == b'.' && at(i + 2) == 0 {
                rewind(out);
                i += 2;
            } else if at(i + 1) == b'/' {
                i += 2;
            } else if at(i + 1) == 0 {
                i += 1;
            } else {
                out.push(c);
                i += 1;
            }
        } else if c == b'/' {
            if (!out.is_empty() && out[out.len() - 1] == b'/') || (out.is_empty() && !empty_base) {
                i += 1;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
        if out.len() + 1 >= MAX_PATH {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::concatenate_paths as cat;

    fn s(b: Vec<u8>) -> String {
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn joins_and_normalises() {
        assert_eq!(s(cat(b"/home/u/", b"file")), "/home/u/file");
        assert_eq!(s(cat(b"/home/u/", b"/etc/passwd")), "/etc/passwd");
        assert_eq!(s(cat(b"/home/u/", b"./a/../b")), "/home/u/b");
        assert_eq!(s(cat(b"/home/u/", b"../../..")), "/");
        assert_eq!(s(cat(b"/", b"tmp//x/")), "/tmp/x");
        assert_eq!(s(cat(b"/a/", b"")), "");
        assert_eq!(s(cat(b"/a/", b".")), "/a");
        assert_eq!(s(cat(b"/a/", b"..")), "/");
        assert_eq!(s(cat(b"/a/", b".hidden")), "/a/.hidden");
        assert_eq!(s(cat(b"/a/", b"x./y")), "/a/x./y");
        assert_eq!(s(cat(b"", b"foo/../a")), "a");
        assert_eq!(s(cat(b"/", b"/")), "/");
    }

    #[test]
    fn into_a_used_buffer_gives_the_same() {
        let mut buf = b"/some/older/longer/name/left/over".to_vec();
        for (base, path) in [
            (&b"/home/u/"[..], &b"./a/../b"[..]),
            (b"/a/", b""),
            (b"/", &[b'a'; 2000][..]),
            (b"/a/", b".."),
        ] {
            super::concatenate_paths_into(&mut buf, base, path);
            assert_eq!(buf, cat(base, path));
        }
    }

    #[test]
    fn too_long() {
        let long = vec![b'a'; 2000];
        assert_eq!(s(cat(b"/", &long)), "/DIR_TOO_LONG/FILENAME_TOO_LONG");
    }
}

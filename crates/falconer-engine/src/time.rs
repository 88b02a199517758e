//! Event timestamps as Falco prints them. Times are UTC: Falco prints
//! `evt.time` in the machine's local time zone, which is the same on a
//! machine set to UTC (as servers and containers usually are).

/// `HH:MM:SS.nnnnnnnnn` (libsinsp's `evt.time`, Falco's default alert
/// prefix).
pub fn clock(ts: u64) -> String {
    let mut out = String::with_capacity(18);
    push_clock(ts, true, &mut out);
    out
}

/// Appends `HH:MM:SS`, then `.nnnnnnnnn` if `ns` (UTC), without the
/// formatting machinery (this runs for every alert).
pub fn push_clock(ts: u64, ns: bool, out: &mut String) {
    let secs = ts / 1_000_000_000;
    let s = secs % 86_400;
    push_digits(s / 3600, 2, out);
    out.push(':');
    push_digits((s % 3600) / 60, 2, out);
    out.push(':');
    push_digits(s % 60, 2, out);
    if ns {
        out.push('.');
        push_digits(ts % 1_000_000_000, 9, out);
    }
}

/// `v` in decimal, zero-padded to `width` digits (`v` < 10^width).
fn push_digits(v: u64, width: u32, out: &mut String) {
    let mut p = 10u64.pow(width.saturating_sub(1));
    while p > 0 {
        out.push((b'0' + ((v / p) % 10) as u8) as char);
        p /= 10;
    }
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (Falco's JSON `time`).
pub fn iso8601(ts: u64) -> String {
    let secs = ts / 1_000_000_000;
    let ns = ts % 1_000_000_000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ns:09}Z",
        s / 3600,
        (s % 3600) / 60,
        s % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic
/// Gregorian calendar (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2024-02-29T13:53:31.726060287Z
        let ts = 1_709_214_811_726_060_287u64;
        assert_eq!(clock(ts), "13:53:31.726060287");
        assert_eq!(clock(0), "00:00:00.000000000");
        assert_eq!(clock(86_399_999_999_999), "23:59:59.999999999");
        assert_eq!(clock(3_723_000_000_005), "01:02:03.000000005");
        assert_eq!(iso8601(ts), "2024-02-29T13:53:31.726060287Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            iso8601(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000000Z"
        );
    }
}

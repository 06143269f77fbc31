//! Small value parsers with the exact semantics of the Go functions upstream
//! uses: `time.ParseDuration`, `units.RAMInBytes`, `strconv.ParseBool`,
//! `path.Clean`, `path.Base`.

use std::time::Duration;

/// Go's `time.ParseDuration` for non-negative results. `Err(())` for syntax
/// errors; a negative duration is returned as `Ok(None)`.
#[allow(clippy::result_unit_err)]
pub(crate) fn parse_go_duration(s: &str) -> Result<Option<Duration>, ()> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Some(Duration::ZERO));
    }
    if rest.is_empty() {
        return Err(());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &r[..n];
            rest = &r[n..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(());
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(()),
        };
        let number: f64 = format!(
            "{}.{}",
            if int_part.is_empty() { "0" } else { int_part },
            if frac_part.is_empty() { "0" } else { frac_part }
        )
        .parse()
        .map_err(|_| ())?;
        total += number * scale;
        if total > i64::MAX as f64 {
            return Err(());
        }
    }
    if neg && total > 0.0 {
        return Ok(None);
    }
    Ok(Some(Duration::from_nanos(total as u64)))
}

/// docker/go-units `RAMInBytes`: `64m`, `1.5g`, `512 KiB`, `100` (binary units).
pub(crate) fn ram_in_bytes(s: &str) -> Option<u64> {
    let num_len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, mut rest) = s.split_at(num_len);
    if num.is_empty() || !num.as_bytes()[0].is_ascii_digit() || num.ends_with('.') {
        return None;
    }
    let value: f64 = num.parse().ok()?;
    rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut chars = rest.chars().peekable();
    let mut mult: f64 = 1.0;
    if let Some(c) = chars.peek().copied() {
        let pow = match c.to_ascii_lowercase() {
            'k' => Some(1),
            'm' => Some(2),
            'g' => Some(3),
            't' => Some(4),
            'p' => Some(5),
            _ => None,
        };
        if let Some(p) = pow {
            mult = 1024f64.powi(p);
            chars.next();
        }
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'i')) {
        chars.next();
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'b')) {
        chars.next();
    }
    if chars.next().is_some() {
        return None;
    }
    let bytes = value * mult;
    if bytes > i64::MAX as f64 {
        return None;
    }
    Some(bytes as u64)
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |s| parse_go_duration(s);
        assert_eq!(d("0"), Ok(Some(Duration::ZERO)));
        assert_eq!(d("1m30s"), Ok(Some(Duration::from_secs(90))));
        assert_eq!(d("1.5h"), Ok(Some(Duration::from_secs(5400))));
        assert_eq!(d("300ms"), Ok(Some(Duration::from_millis(300))));
        assert_eq!(d("2us"), Ok(Some(Duration::from_micros(2))));
        assert_eq!(d(".5s"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(d("-1s"), Ok(None));
        assert_eq!(d("5"), Err(()));
        assert_eq!(d(""), Err(()));
        assert_eq!(d("1x"), Err(()));
        assert_eq!(d("s"), Err(()));
    }

    #[test]
    fn ram() {
        assert_eq!(ram_in_bytes("64m"), Some(64 << 20));
        assert_eq!(ram_in_bytes("1.5g"), Some(3 << 29));
        assert_eq!(ram_in_bytes("512 KiB"), Some(512 << 10));
        assert_eq!(ram_in_bytes("100"), Some(100));
        assert_eq!(ram_in_bytes("10x"), None);
        assert_eq!(ram_in_bytes("m"), None);
        assert_eq!(ram_in_bytes(""), None);
    }
}

//! Values of COPY/ADD flags checked before any LLB is built: `--chmod`
//! (octal, or the symbolic grammar of chmod(1) that upstream's mode parser
//! accepts) and the `--checksum` digest of an HTTP(S) source.

/// A `--chmod` value rejected by [`parse_chmod`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ChmodError {
    pub message: String,
    pub help: &'static str,
}

const CHMOD_HELP: &str = "write an octal mode from 0 to 7777 (`755`) or a symbolic mode: comma-separated \
     clauses of who letters (`u`, `g`, `o`, `a`), then one or more operators (`+`, `-`, `=`) each \
     followed by permission letters (`r`, `w`, `x`, `X`, `s`, `t`, `u`, `g`, `o`), as in `u+x,go-w`";

/// The parsed `--chmod`: an octal mode, or `(Some(0), symbolic string)`.
///
/// A value that starts with a digit must be octal and at most `07777`;
/// anything else must follow the symbolic grammar (`u+q`, `-1`, `u+x,` and
/// `rwx` are rejected, like upstream).
pub(super) fn parse_chmod(s: &str) -> Result<(Option<i32>, String), ChmodError> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        let octal = s.bytes().all(|b| matches!(b, b'0'..=b'7'));
        return match u32::from_str_radix(s, 8) {
            Ok(v) if octal && v <= 0o7777 => Ok((i32::try_from(v).ok(), String::new())),
            _ => Err(ChmodError {
                message: format!(
                    "invalid chmod parameter: '{s}'. it should be octal string and between 0 and 07777"
                ),
                help: CHMOD_HELP,
            }),
        };
    }
    match symbolic_error(s.as_bytes()) {
        // Go's `ChmodOpt{ModeStr: s}` leaves `Mode` at 0, which is marshalled.
        None => Ok((Some(0), s.to_string())),
        Some((at, expected)) => {
            let found = s[at..]
                .chars()
                .next()
                .map_or_else(|| "the end of the value".to_string(), |c| format!("`{c}`"));
            Err(ChmodError {
                message: format!(
                    "invalid chmod parameter: '{s}': found {found} at offset {at}, expected {expected}"
                ),
                help: CHMOD_HELP,
            })
        }
    }
}

const WHO_OR_OP: &str = "a who letter (u, g, o, a) or an operator (+, -, =)";
const PERM_OP_OR_COMMA: &str =
    "a permission letter (r, w, x, X, s, t, u, g, o), an operator or `,`";

/// Where a symbolic mode stops following the grammar, and what was expected
/// there; `None` when the whole value is valid.
fn symbolic_error(s: &[u8]) -> Option<(usize, &'static str)> {
    let mut i = 0;
    loop {
        while matches!(s.get(i), Some(b'u' | b'g' | b'o' | b'a')) {
            i += 1;
        }
        let mut expected = WHO_OR_OP;
        loop {
            if !matches!(s.get(i), Some(b'+' | b'-' | b'=')) {
                return Some((i, expected));
            }
            i += 1;
            while matches!(
                s.get(i),
                Some(b'r' | b'w' | b'x' | b'X' | b's' | b't' | b'u' | b'g' | b'o')
            ) {
                i += 1;
            }
            match s.get(i) {
                None => return None,
                Some(b',') => {
                    i += 1;
                    break;
                }
                // Only another operator may follow the permission letters.
                Some(_) => expected = PERM_OP_OR_COMMA,
            }
        }
    }
}

/// Digest algorithms upstream can verify, with their size in bytes.
const DIGEST_ALGORITHMS: &[(&str, usize)] = &[("sha256", 32), ("sha384", 48), ("sha512", 64)];

const CHECKSUM_HELP: &str = "write `sha256:` and 64 lowercase hex digits (`sha384:` takes 96, \
     `sha512:` 128)";

/// A `--checksum` of an HTTP(S) source: `<algorithm>:<lowercase hex>`, the
/// algorithm one of sha256, sha384, sha512 and the hex of its exact length.
/// The error names the problem like upstream's digest parser (format, length
/// or algorithm).
pub(super) fn check_checksum(s: &str) -> Result<(), (String, &'static str)> {
    // Upstream's words first, then what this value got wrong.
    let fail = |kind: &str, detail: String| {
        Err((
            format!("{kind} in --checksum '{s}': {detail}"),
            CHECKSUM_HELP,
        ))
    };
    const FORMAT: &str = "invalid checksum digest format";
    let Some((alg, hex)) = s
        .split_once(':')
        .filter(|(a, h)| !a.is_empty() && !h.is_empty())
    else {
        return fail(FORMAT, "expected `<algorithm>:<hex>`".into());
    };
    let Some(&(_, size)) = DIGEST_ALGORITHMS.iter().find(|(name, _)| *name == alg) else {
        if !digest_shaped(alg, hex) {
            return fail(FORMAT, format!("`{alg}` is not an algorithm name"));
        }
        return fail(
            "unsupported digest algorithm",
            format!("`{alg}`, expected sha256, sha384 or sha512"),
        );
    };
    if hex.len() != size * 2 {
        return fail(
            "invalid checksum digest length",
            format!("{alg} takes {} hex digits, found {}", size * 2, hex.len()),
        );
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return fail(FORMAT, "expected lowercase hex digits".into());
    }
    Ok(())
}

/// Whether an unknown algorithm and its value still have a digest's shape:
/// lowercase alphanumeric runs joined by single `.`, `+`, `_` or `-`, then a
/// value of letters, digits, `=`, `_` and `-`.
fn digest_shaped(alg: &str, value: &str) -> bool {
    let alg_ok = alg.split(['.', '+', '_', '-']).all(|run| {
        !run.is_empty()
            && run
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let value_ok = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    alg_ok && value_ok
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chmod_message(s: &str) -> String {
        parse_chmod(s).unwrap_err().message
    }

    #[test]
    fn octal_modes() {
        assert_eq!(parse_chmod("755").unwrap(), (Some(0o755), String::new()));
        assert_eq!(parse_chmod("0").unwrap(), (Some(0), String::new()));
        assert_eq!(
            parse_chmod("00007777").unwrap(),
            (Some(0o7777), String::new())
        );
        for bad in ["99999", "10000", "99", "64a", "7_7", "99999999999999999999"] {
            assert!(
                chmod_message(bad).contains("it should be octal string and between 0 and 07777"),
                "{bad}"
            );
        }
    }

    #[test]
    fn symbolic_modes_upstream_accepts() {
        for ok in [
            "u+x",
            "-",
            "=",
            "+X",
            "a=",
            "u+x-w",
            "ug=rwX,o=",
            "u=g",
            "u+s,g+t",
            "go=u-w",
        ] {
            assert_eq!(parse_chmod(ok).unwrap(), (Some(0), ok.to_string()), "{ok}");
        }
    }

    #[test]
    fn symbolic_garbage_is_rejected_with_the_offset() {
        assert_eq!(
            chmod_message("u+q"),
            format!("invalid chmod parameter: 'u+q': found `q` at offset 2, expected {PERM_OP_OR_COMMA}")
        );
        assert!(chmod_message("-1").contains("found `1` at offset 1"));
        assert!(chmod_message("u+x,").contains("found the end of the value at offset 4"));
        assert!(chmod_message(",u+x").contains(&format!("offset 0, expected {WHO_OR_OP}")));
        assert!(chmod_message("rwx").contains("found `r` at offset 0"));
        assert!(chmod_message("u").contains("the end of the value at offset 1"));
        assert!(chmod_message("+7").contains("found `7`"));
    }

    fn checksum_message(s: &str) -> String {
        check_checksum(s).unwrap_err().0
    }

    #[test]
    fn checksums_like_go_digest() {
        let hex = |n: usize| "a".repeat(n);
        assert!(check_checksum(&format!("sha256:{}", hex(64))).is_ok());
        assert!(check_checksum(&format!("sha384:{}", hex(96))).is_ok());
        assert!(check_checksum(&format!("sha512:{}", hex(128))).is_ok());
        let cases = [
            (
                "md5:abc",
                "unsupported digest algorithm in --checksum 'md5:abc': `md5`",
            ),
            ("a.b:c", "unsupported digest algorithm"),
            (
                &format!("blake3:{}", hex(64)),
                "unsupported digest algorithm",
            ),
            ("sha256:xyz", "invalid checksum digest length"),
            ("sha512:abc", "invalid checksum digest length"),
            (
                &format!("sha256:{}:x", hex(64)),
                "invalid checksum digest length",
            ),
            (
                &format!("sha256:{}", "A".repeat(64)),
                "invalid checksum digest format",
            ),
            (
                &format!("sha256:{}", "g".repeat(64)),
                "invalid checksum digest format",
            ),
            ("abc", "invalid checksum digest format"),
            ("sha256:", "invalid checksum digest format"),
            (":abc", "invalid checksum digest format"),
            ("SHA256:abc", "invalid checksum digest format"),
            ("md5:a.b", "invalid checksum digest format"),
            ("a..b:c", "invalid checksum digest format"),
        ];
        for (value, want) in cases {
            assert!(
                checksum_message(value).contains(want),
                "{value}: {}",
                checksum_message(value)
            );
        }
    }
}

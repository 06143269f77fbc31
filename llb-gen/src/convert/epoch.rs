//! `SOURCE_DATE_EPOCH` (upstream `dockerfile2llb/epoch.go`): a build arg, or
//! a non-empty global ARG default, in Unix seconds. It stamps every history
//! entry's `created` and the WORKDIR mkdir, and is returned to the exporter.

use std::collections::BTreeMap;

use super::args::EnvList;

pub const KEY: &str = "SOURCE_DATE_EPOCH";

/// The epoch in Unix seconds, if set.
pub fn resolve(
    build_args: &BTreeMap<String, String>,
    globals: &EnvList,
) -> Result<Option<i64>, String> {
    let value = match build_args.get(KEY) {
        Some(v) => v.as_str(),
        None => match globals.get(KEY) {
            Some(v) if !v.is_empty() => v,
            _ => return Ok(None),
        },
    };
    if value.is_empty() {
        return Ok(None);
    }
    value.parse::<i64>().map(Some).map_err(|_| {
        format!(
            "invalid {KEY} value {value:?}: expected Unix seconds (the `context`, named-context \
             and stage forms are not supported by this frontend yet)"
        )
    })
}

/// RFC 3339 in UTC, as Go marshals `time.Unix(secs, 0).UTC()`.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn build_arg_wins_and_bad_values_fail() {
        let mut globals = EnvList::default();
        globals.add_or_replace(KEY, "5");
        let none = BTreeMap::new();
        assert_eq!(resolve(&none, &globals).unwrap(), Some(5));
        let args = BTreeMap::from([(KEY.to_string(), "7".to_string())]);
        assert_eq!(resolve(&args, &globals).unwrap(), Some(7));
        assert_eq!(resolve(&none, &EnvList::default()).unwrap(), None);
        let bad = BTreeMap::from([(KEY.to_string(), "context".to_string())]);
        assert!(resolve(&bad, &globals)
            .unwrap_err()
            .contains("Unix seconds"));
    }
}

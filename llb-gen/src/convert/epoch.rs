//! `SOURCE_DATE_EPOCH` (upstream `dockerfile2llb/epoch.go`): a build arg, or
//! a non-empty global ARG default, in Unix seconds. It stamps every history
//! entry's `created` and the WORKDIR mkdir, and is returned to the exporter.

use std::collections::BTreeMap;

use super::error::{Error, ErrorKind};
use crate::ir::ArgInstruction;
use crate::text::TextRange;

use super::args::EnvList;

pub(super) const KEY: &str = "SOURCE_DATE_EPOCH";

/// The first and last second whose RFC 3339 form has a four-digit year
/// (0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z): upstream cannot write
/// an image config with a `created` time outside them.
const MIN: i64 = -62_167_219_200;
const MAX: i64 = 253_402_300_799;

/// The epoch in Unix seconds, if set. A bad value is reported at the
/// global ARG that gave it (its default, or its name for a build arg).
pub(super) fn resolve(
    build_args: &BTreeMap<String, String>,
    globals: &EnvList,
    meta: &[ArgInstruction],
) -> Result<Option<i64>, Error> {
    let (value, from_build_arg) = match build_args.get(KEY) {
        Some(v) => (v.as_str(), true),
        None => match globals.get(KEY) {
            Some(v) if !v.is_empty() => (v, false),
            _ => return Ok(None),
        },
    };
    if value.is_empty() {
        return Ok(None);
    }
    let origin = if from_build_arg {
        "the build arg"
    } else {
        "the ARG default"
    };
    let at = value_span(meta, from_build_arg);
    let secs = value.parse::<i64>().map_err(|_| {
        Error::new(
            ErrorKind::InvalidSourceDateEpoch {
                value: value.to_string(),
                origin,
            },
            at,
        )
    })?;
    if !(MIN..=MAX).contains(&secs) {
        return Err(Error::new(
            ErrorKind::SourceDateEpochOutOfRange {
                seconds: secs,
                origin,
                min: (MIN, rfc3339(MIN)),
                max: (MAX, rfc3339(MAX)),
            },
            at,
        )
        .with_help("image timestamps are RFC 3339 with a four-digit year"));
    }
    Ok(Some(secs))
}

/// Where the value was written: the default of the last global ARG that
/// has one, or for a build arg the name of the last global declaration;
/// the start of the file when it is not declared there.
fn value_span(meta: &[ArgInstruction], from_build_arg: bool) -> TextRange {
    let mut decls = meta
        .iter()
        .rev()
        .flat_map(|a| a.args.iter().rev())
        .filter(|d| d.name.value == KEY);
    let span = if from_build_arg {
        decls.next().map(|d| d.name.span)
    } else {
        decls.find_map(|d| d.default.as_ref()).map(|w| w.span)
    };
    span.unwrap_or(TextRange::empty(0))
}

/// RFC 3339 in UTC, as Go marshals `time.Unix(secs, 0).UTC()`.
pub(super) fn rfc3339(secs: i64) -> String {
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
    fn formats_the_ends_of_the_range() {
        assert_eq!(rfc3339(MIN), "0000-01-01T00:00:00Z");
        assert_eq!(rfc3339(MAX), "9999-12-31T23:59:59Z");
    }

    fn meta(src: &str) -> Vec<ArgInstruction> {
        crate::ir::lower(&crate::syntax::parse(src).dockerfile)
            .dockerfile
            .meta_args
    }

    #[test]
    fn build_arg_wins_and_bad_values_fail() {
        let mut globals = EnvList::default();
        globals.add_or_replace(KEY, "5");
        let none = BTreeMap::new();
        assert_eq!(resolve(&none, &globals, &[]).unwrap(), Some(5));
        let args = BTreeMap::from([(KEY.to_string(), "7".to_string())]);
        assert_eq!(resolve(&args, &globals, &[]).unwrap(), Some(7));
        assert_eq!(resolve(&none, &EnvList::default(), &[]).unwrap(), None);
        let bad = BTreeMap::from([(KEY.to_string(), "context".to_string())]);
        let d = resolve(&bad, &globals, &[]).unwrap_err().to_diagnostic();
        assert!(d.message.contains("Unix seconds"));
        assert_eq!(d.span, TextRange::empty(0));
    }

    #[test]
    fn out_of_range_values_fail_at_the_arg() {
        let src = "ARG SOURCE_DATE_EPOCH=1\nARG SOURCE_DATE_EPOCH=253402300800\nFROM scratch\n";
        let mut globals = EnvList::default();
        globals.add_or_replace(KEY, "253402300800");
        let d = resolve(&BTreeMap::new(), &globals, &meta(src))
            .unwrap_err()
            .to_diagnostic();
        assert!(d.message.contains("out of range"), "{}", d.message);
        assert_eq!(&src[d.span.as_usize()], "253402300800");
        // A build arg is reported at the declaration it feeds.
        let args = BTreeMap::from([(KEY.to_string(), "-62167219201".to_string())]);
        let d = resolve(&args, &globals, &meta(src))
            .unwrap_err()
            .to_diagnostic();
        assert!(d.message.contains("(the build arg)"), "{}", d.message);
        assert_eq!(&src[d.span.as_usize()], KEY);
        for ok in [MIN, -1, 0, MAX] {
            let args = BTreeMap::from([(KEY.to_string(), ok.to_string())]);
            assert_eq!(resolve(&args, &globals, &[]).unwrap(), Some(ok));
        }
    }
}

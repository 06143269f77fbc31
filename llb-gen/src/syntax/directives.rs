//! Parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of a file.

use super::ast::Directive;
use super::error::{SyntaxError, SyntaxErrorKind};
use crate::text::TextRange;

/// Directive keys upstream knows; any other key ends the directive block.
const KNOWN: [&str; 3] = ["syntax", "escape", "check"];

/// State of the directive scanner: the block ends at the first line that is
/// not a known directive.
#[derive(Debug)]
pub(crate) struct DirectiveScanner {
    pub done: bool,
    pub escape: char,
    pub directives: Vec<Directive>,
}

/// Go's `\s` in regular expressions: ASCII space, `\t`, `\n`, `\f`, `\r`.
fn is_go_re_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r')
}

/// A directive line split into key and value (offsets relative to `line`).
struct RawDirective {
    key: String,
    value_lo: usize,
    value_hi: usize,
}

/// Match `#<ws>key<ws>=<ws>value<ws>` on a line whose leading whitespace and
/// newline are already removed.
fn match_directive(line: &str) -> Option<RawDirective> {
    let after_hash = line.strip_prefix('#')?;
    let key_lo = line.len() - after_hash.trim_start().len();
    let rest = &line[key_lo..];
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() => {}
        _ => return None,
    }
    let key_len = rest
        .char_indices()
        .find(|&(_, c)| !c.is_ascii_alphanumeric())
        .map_or(rest.len(), |(i, _)| i);
    let key = rest[..key_len].to_ascii_lowercase();
    let after_key = &rest[key_len..];
    let after_ws = after_key.trim_start_matches(is_go_re_space);
    let after_eq = after_ws.strip_prefix('=')?;
    let value = after_eq.trim_start_matches(is_go_re_space);
    let value = value.trim_end_matches(is_go_re_space);
    let value_lo = line.len() - after_eq.trim_start_matches(is_go_re_space).len();
    if value.is_empty() {
        // Upstream's value takes at least one char: after `=` and blanks
        // only, it is the last blank (`# escape= ` is an escape of ` `).
        let last = after_eq.chars().next_back()?;
        return Some(RawDirective {
            key,
            value_lo: line.len() - last.len_utf8(),
            value_hi: line.len(),
        });
    }
    Some(RawDirective {
        key,
        value_lo,
        value_hi: value_lo + value.len(),
    })
}

/// What is wrong with a `# check=` value, and where (a byte range in it).
/// Upstream reads the value up to its first space as up to three
/// `;`-separated `key=value` options: `skip` and `experimental` (a rule
/// list or `all`) and `error` (a Go boolean).
fn check_problem(value: &str) -> Option<(String, usize, usize)> {
    let first = value.split(' ').next().unwrap_or("");
    let mut lo = first.len() - first.trim_start().len();
    let options = first.trim();
    if options.is_empty() {
        return None;
    }
    for part in options.splitn(3, ';') {
        if let Some(problem) = option_problem(part) {
            return Some((problem, lo, lo + part.len()));
        }
        lo += part.len() + 1;
    }
    None
}

/// What is wrong with one `key=value` option of `# check=`.
fn option_problem(part: &str) -> Option<String> {
    let Some((key, value)) = part.split_once('=') else {
        return Some(format!("expected `key=value`, found `{part}`"));
    };
    match key.trim() {
        "skip" | "experimental" => None,
        "error" => match value.trim() {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => None,
            "0" | "f" | "F" | "FALSE" | "false" | "False" => None,
            v => Some(format!("`error` expects `true` or `false`, found `{v}`")),
        },
        k => Some(format!(
            "unknown option `{k}`: expected `skip`, `experimental` or `error`"
        )),
    }
}

impl DirectiveScanner {
    pub(super) fn new() -> Self {
        DirectiveScanner {
            done: false,
            escape: '\\',
            directives: Vec::new(),
        }
    }

    /// Look at one line (leading whitespace and newline removed) that starts
    /// at `offset` in the source. Returns true when it is a directive line.
    pub(super) fn check(
        &mut self,
        line: &str,
        offset: usize,
        line_span: TextRange,
        errors: &mut Vec<SyntaxError>,
    ) -> bool {
        if self.done {
            return false;
        }
        let Some(raw) = match_directive(line) else {
            self.done = true;
            return false;
        };
        if !KNOWN.contains(&raw.key.as_str()) {
            self.done = true;
            return false;
        }
        let value = &line[raw.value_lo..raw.value_hi];
        let value_span = TextRange::from_usize(offset + raw.value_lo, offset + raw.value_hi);
        if self.directives.iter().any(|d| d.key == raw.key) {
            errors.push(SyntaxError::new(
                SyntaxErrorKind::RepeatedDirective { key: raw.key },
                line_span,
            ));
            return true;
        }
        if raw.key == "check" {
            if let Some((problem, lo, hi)) = check_problem(value) {
                let at = offset + raw.value_lo;
                errors.push(SyntaxError::new(
                    SyntaxErrorKind::InvalidCheck { problem },
                    TextRange::from_usize(at + lo, at + hi),
                ));
            }
        }
        if raw.key == "escape" {
            match value {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                _ => errors.push(SyntaxError::new(
                    SyntaxErrorKind::InvalidEscape {
                        value: value.to_string(),
                    },
                    value_span,
                )),
            }
        }
        self.directives.push(Directive {
            key: raw.key,
            value: value.to_string(),
            span: line_span,
            value_span,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_shapes() {
        let d = match_directive("# escape = `  ").map(|d| (d.key, d.value_lo, d.value_hi));
        assert_eq!(d, Some(("escape".to_string(), 11, 12)));
        assert!(match_directive("#escape=").is_none());
        // A value of blanks only is its last blank, as upstream reads it.
        let d = match_directive("# escape= \t").map(|d| (d.value_lo, d.value_hi));
        assert_eq!(d, Some((10, 11)));
        assert!(match_directive("# 1x=y").is_none());
        assert!(match_directive("# foo bar").is_none());
        let d = match_directive("#SYNTAX=docker/dockerfile:1").map(|d| d.key);
        assert_eq!(d.as_deref(), Some("syntax"));
    }

    fn scan(line: &str) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        let span = TextRange::from_usize(0, line.len());
        DirectiveScanner::new().check(line, 0, span, &mut errors);
        let text = |e: &SyntaxError| line[e.span.as_usize()].to_string();
        errors.iter().map(|e| (e.to_string(), text(e))).collect()
    }

    #[test]
    fn escape_of_blanks_is_invalid() {
        let e = scan("# escape=\t");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].1, "\t");
        assert!(e[0].0.contains("invalid escape"), "{e:?}");
        assert_eq!(scan("# escape= ")[0].1, " ");
        assert!(scan("# escape=\t`").is_empty());
        assert_eq!(scan("# escape=``")[0].1, "``");
    }

    #[test]
    fn check_values() {
        for ok in [
            "# check=skip=all",
            "# check=skip=A,B;error=true",
            "# check=error=TRUE",
            "# check=experimental=all;skip=all;error=0",
            "# check=skip=all error=maybe",
            "# check=skip=",
            "# check=skip=all;error=true;experimental=x;y",
        ] {
            assert!(scan(ok).is_empty(), "{ok}");
        }
        let bad = |line: &str| scan(line).pop().map(|(_, at)| at);
        assert_eq!(bad("# check=skip").as_deref(), Some("skip"));
        assert_eq!(bad("# check=error=maybe").as_deref(), Some("error=maybe"));
        assert_eq!(bad("# check=foo=bar").as_deref(), Some("foo=bar"));
        assert_eq!(bad("# check=skip =all ").as_deref(), Some("skip"));
        assert_eq!(bad("# check=skip=all;").as_deref(), Some(""));
        assert_eq!(bad("# check=skip=all;error=").as_deref(), Some("error="));
        assert!(bad("# check=skip=all;error=true;error=x;y").is_some());
        let e = scan("# check=foo=bar");
        assert!(e[0].0.contains("unknown option `foo`"), "{e:?}");
    }
}

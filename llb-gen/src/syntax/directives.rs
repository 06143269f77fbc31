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
    if value.is_empty() {
        return None;
    }
    let value_lo = line.len() - after_eq.trim_start_matches(is_go_re_space).len();
    Some(RawDirective {
        key,
        value_lo,
        value_hi: value_lo + value.len(),
    })
}

impl DirectiveScanner {
    pub fn new() -> Self {
        DirectiveScanner {
            done: false,
            escape: '\\',
            directives: Vec::new(),
        }
    }

    /// Look at one line (leading whitespace and newline removed) that starts
    /// at `offset` in the source. Returns true when it is a directive line.
    pub fn check(
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
        assert!(match_directive("# 1x=y").is_none());
        assert!(match_directive("# foo bar").is_none());
        let d = match_directive("#SYNTAX=docker/dockerfile:1").map(|d| d.key);
        assert_eq!(d.as_deref(), Some("syntax"));
    }
}

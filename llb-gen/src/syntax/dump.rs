//! The s-expression dump of upstream's `Node.Dump()` and a quoter that
//! matches Go's `strconv.Quote`.

use std::fmt::Write as _;

use super::ast::{Dockerfile, Node};

/// True for characters Go's `unicode.IsPrint` rejects (approximation:
/// controls, non-ASCII spaces, line/paragraph separators, format chars,
/// private use and noncharacters; unassigned code points count as printable).
fn go_non_printable(c: char) -> bool {
    let u = c as u32;
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            u,
            0xAD | 0x600..=0x605
                | 0x61C
                | 0x6DD
                | 0x70F
                | 0x890..=0x891
                | 0x8E2
                | 0x180E
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x2064
                | 0x2066..=0x206F
                | 0xD800..=0xF8FF
                | 0xFDD0..=0xFDEF
                | 0xFEFF
                | 0xFFF9..=0xFFFB
                | 0xFFFE..=0xFFFF
                | 0x110BD
                | 0x110CD
                | 0x13430..=0x1343F
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0001
                | 0xE0020..=0xE007F
                | 0xF0000..
        )
        || (u & 0xFFFE) == 0xFFFE
}

/// Quote `s` exactly like Go's `strconv.Quote` (for valid UTF-8 input).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if go_non_printable(c) => {
                if (c as u32) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One instruction as upstream's `Node.Dump()` renders it (without parens).
pub(super) fn dump_node(node: &Node) -> String {
    let mut s = node.keyword_lower();
    if !node.flags.is_empty() {
        let flags: Vec<String> = node.flags.iter().map(|f| go_quote(&f.value)).collect();
        let _ = write!(s, " [{}]", flags.join(" "));
    }
    if let Some(sub) = &node.sub {
        let _ = write!(s, " ({})", dump_node(sub));
    }
    for arg in &node.args {
        s.push(' ');
        s.push_str(&go_quote(&arg.value));
    }
    s.trim().to_string()
}

/// The whole file: one `(instruction)` per line, no trailing newline (the
/// conformance `result` files are this plus `"\n"`).
pub fn dump(file: &Dockerfile) -> String {
    let mut out = String::new();
    for node in &file.nodes {
        out.push('(');
        out.push_str(&dump_node(node));
        out.push_str(")\n");
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\0\x07\x1b\x7f"), r#""\x00\a\x1b\x7f""#);
        assert_eq!(go_quote("♥한"), "\"♥한\"");
        assert_eq!(
            go_quote("\u{a0}\u{200b}\u{e0001}"),
            r#""\u00a0\u200b\U000e0001""#
        );
        assert_eq!(go_quote("\t\n\r\x0b\x0c\x08"), r#""\t\n\r\v\f\b""#);
    }
}

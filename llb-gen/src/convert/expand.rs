//! Variable expansion as the converter needs it: one adapter over the
//! shell-word lexer so the rest of `convert` does not depend on its API.

/// Where expansion looks variables up.
pub trait Lookup {
    fn lookup(&self, key: &str) -> Option<&str>;
}

/// No variables at all.
pub struct NoEnv;

impl Lookup for NoEnv {
    fn lookup(&self, _key: &str) -> Option<&str> {
        None
    }
}

/// Expand one word (quotes removed, escapes applied).
pub fn expand_word(word: &str, env: &dyn Lookup, escape: char) -> Result<String, String> {
    Expander {
        chars: word.chars().collect(),
        pos: 0,
        escape,
        env,
        raw_quotes: false,
        keep_unset: false,
    }
    .word()
}

/// Expand for display (progress names): quotes kept, unset variables kept
/// literally, errors leave the text unchanged.
pub fn expand_for_display(word: &str, env: &dyn Lookup, escape: char) -> String {
    Expander {
        chars: word.chars().collect(),
        pos: 0,
        escape,
        env,
        raw_quotes: true,
        keep_unset: true,
    }
    .word()
    .unwrap_or_else(|_| word.to_string())
}

/// Expand a heredoc body: quotes are plain characters, `\$` is a literal `$`.
pub fn expand_heredoc(body: &str, env: &dyn Lookup, _escape: char) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find(['$', '\\']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("\\$") {
            out.push('$');
            rest = t;
            continue;
        }
        if tail.starts_with('\\') {
            out.push('\\');
            rest = &tail[1..];
            continue;
        }
        // A `$` expression: take the longest prefix the expander consumes.
        let end = dollar_len(tail);
        let piece = &tail[..end];
        let protected = piece.replace('\'', "\u{0}").replace('"', "\u{1}");
        let e = expand_word(&protected, env, '\u{2}')?;
        out.push_str(&e.replace('\u{0}', "'").replace('\u{1}', "\""));
        rest = &tail[end..];
    }
    out.push_str(rest);
    Ok(out)
}

fn dollar_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.len() < 2 {
        return b.len();
    }
    if b[1] == b'{' {
        let mut depth = 0;
        for (i, c) in b.iter().enumerate().skip(1) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
        }
        return b.len();
    }
    if b[1].is_ascii_digit() {
        return 1 + b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    1 + b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

/// Expand and split into words on unquoted whitespace (EXPOSE).
pub fn expand_words(word: &str, env: &dyn Lookup, escape: char) -> Result<Vec<String>, String> {
    // Split on unquoted whitespace first, then expand each piece.
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c == escape => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    pieces.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    let mut out = Vec::new();
    for p in pieces {
        let e = expand_word(&p, env, escape)?;
        out.extend(e.split_whitespace().map(str::to_string));
    }
    Ok(out)
}

struct Expander<'a> {
    chars: Vec<char>,
    pos: usize,
    escape: char,
    env: &'a dyn Lookup,
    raw_quotes: bool,
    keep_unset: bool,
}

impl Expander<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn word(&mut self) -> Result<String, String> {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == self.escape {
                if let Some(n) = self.peek() {
                    self.pos += 1;
                    if self.raw_quotes {
                        out.push(c);
                    }
                    out.push(n);
                }
            } else if c == '\'' {
                if self.raw_quotes {
                    out.push(c);
                }
                while let Some(n) = self.peek() {
                    self.pos += 1;
                    if n == '\'' {
                        if self.raw_quotes {
                            out.push(n);
                        }
                        break;
                    }
                    out.push(n);
                }
            } else if c == '"' {
                if self.raw_quotes {
                    out.push(c);
                }
                while let Some(n) = self.peek() {
                    self.pos += 1;
                    if n == '"' {
                        if self.raw_quotes {
                            out.push(n);
                        }
                        break;
                    }
                    if n == self.escape {
                        match self.peek() {
                            Some(m) if m == '"' || m == '$' || m == self.escape => {
                                self.pos += 1;
                                if self.raw_quotes {
                                    out.push(n);
                                }
                                out.push(m);
                            }
                            _ => out.push(n),
                        }
                    } else if n == '$' {
                        out.push_str(&self.dollar()?);
                    } else {
                        out.push(n);
                    }
                }
            } else if c == '$' {
                out.push_str(&self.dollar()?);
            } else {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                name.push(c);
                self.pos += 1;
            } else {
                break;
            }
        }
        name
    }

    fn get(&self, name: &str, literal: &str) -> Option<String> {
        match self.env.lookup(name) {
            Some(v) => Some(v.to_string()),
            None if self.keep_unset => Some(literal.to_string()),
            None => None,
        }
    }

    fn dollar(&mut self) -> Result<String, String> {
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                let start = self.pos - 2;
                let name = self.name();
                if name.is_empty() {
                    return Err("bad substitution".into());
                }
                let mut op = String::new();
                while let Some(c) = self.peek() {
                    if c == '}' {
                        break;
                    }
                    op.push(c);
                    self.pos += 1;
                    if op == ":" {
                        continue;
                    }
                    break;
                }
                // Collect the rest of the operand up to the matching brace.
                let mut operand = String::new();
                let mut depth = 0;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == '}' && depth == 0 {
                        break;
                    }
                    if c == '{' {
                        depth += 1;
                    }
                    if c == '}' {
                        depth -= 1;
                    }
                    operand.push(c);
                }
                let literal: String = self.chars[start..self.pos].iter().collect();
                let val = self.env.lookup(&name).map(str::to_string);
                let sub = |s: &Self, w: &str| -> Result<String, String> {
                    Expander {
                        chars: w.chars().collect(),
                        pos: 0,
                        escape: s.escape,
                        env: s.env,
                        raw_quotes: s.raw_quotes,
                        keep_unset: s.keep_unset,
                    }
                    .word()
                };
                match op.as_str() {
                    "" => Ok(self.get(&name, &literal).unwrap_or_default()),
                    ":-" => match val {
                        Some(v) if !v.is_empty() => Ok(v),
                        _ => sub(self, &operand),
                    },
                    "-" => match val {
                        Some(v) => Ok(v),
                        None => sub(self, &operand),
                    },
                    ":+" => match val {
                        Some(v) if !v.is_empty() => sub(self, &operand),
                        _ => Ok(String::new()),
                    },
                    "+" => match val {
                        Some(_) => sub(self, &operand),
                        None => Ok(String::new()),
                    },
                    ":?" | "?" => match val {
                        Some(v) if op == "?" || !v.is_empty() => Ok(v),
                        _ => Err(format!("{name}: {operand}")),
                    },
                    _ => Ok(self.get(&name, &literal).unwrap_or_default()),
                }
            }
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                let start = self.pos - 1;
                let name = if c.is_ascii_digit() {
                    let mut n = String::new();
                    while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                        n.push(d);
                        self.pos += 1;
                    }
                    n
                } else {
                    self.name()
                };
                let literal: String = self.chars[start..self.pos].iter().collect();
                Ok(self.get(&name, &literal).unwrap_or_default())
            }
            _ => Ok("$".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::args::EnvList;

    #[test]
    fn expands_basic_forms() {
        let mut env = EnvList::default();
        env.add_or_replace("A", "x");
        env.add_or_replace("E", "");
        assert_eq!(expand_word("$A/${A}", &env, '\\').unwrap(), "x/x");
        assert_eq!(
            expand_word("${B:-d}${E:-e}${A:+p}", &env, '\\').unwrap(),
            "dep"
        );
        assert_eq!(
            expand_word("'$A' \"$A\" \\$A", &env, '\\').unwrap(),
            "$A x $A"
        );
        assert_eq!(expand_for_display("echo $A $B", &env, '\\'), "echo x $B");
        assert_eq!(expand_words("80 $A", &env, '\\').unwrap(), vec!["80", "x"]);
    }
}

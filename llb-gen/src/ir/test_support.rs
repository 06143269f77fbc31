//! A deliberately small line parser that builds `ast::Node`s for the unit
//! tests of this module (one instruction per line, `\` continuations not
//! supported, simple heredocs), so `ir` can be tested without `syntax`.

use crate::syntax::ast::{Dockerfile, Heredoc, Node};
use crate::text::{Spanned, TextRange};

fn sp(s: &str, start: usize) -> Spanned<String> {
    Spanned::new(s.to_string(), TextRange::from_usize(start, start + s.len()))
}

/// Whitespace-separated words of `s` (which starts at `base`), with spans.
fn words(s: &str, base: usize) -> Vec<Spanned<String>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (true, Some(st)) => {
                out.push(sp(&s[st..i], base + st));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

/// Parse `src` into an AST good enough for the `ir` tests.
pub fn parse(src: &str) -> Dockerfile {
    let mut nodes = Vec::new();
    let mut comments = Vec::new();
    let lines: Vec<(usize, &str)> = {
        let mut v = Vec::new();
        let mut off = 0;
        for l in src.split_inclusive('\n') {
            v.push((off, l.trim_end_matches('\n')));
            off += l.len();
        }
        v
    };
    let mut i = 0;
    while i < lines.len() {
        let (off, line) = lines[i];
        i += 1;
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            comments.push(c.trim().to_string());
            continue;
        }
        let mut node = parse_line(trimmed, off + lead, i as u32);
        node.prev_comment = std::mem::take(&mut comments);
        // Heredoc bodies.
        let names: Vec<(String, bool)> = words(trimmed, 0)
            .iter()
            .filter_map(|w| {
                let r = w.value.trim_start_matches(|c: char| c.is_ascii_digit());
                let r = r.strip_prefix("<<")?;
                let chomp = r.starts_with('-');
                let r = r.trim_start_matches('-');

                let name = r.trim_matches(|c| c == '"' || c == '\'');
                (!name.is_empty()).then(|| (name.to_string(), chomp))
            })
            .collect();
        for (name, chomp) in names {
            let body_start = lines.get(i).map_or(src.len(), |l| l.0);
            let mut content = String::new();
            while i < lines.len() {
                let (_, l) = lines[i];
                i += 1;
                let cmp = if chomp { l.trim_start_matches('\t') } else { l };
                if cmp == name {
                    break;
                }
                content.push_str(l);
                content.push('\n');
            }
            let end = lines.get(i).map_or(src.len(), |l| l.0);
            node.span = TextRange::from_usize(node.span.start as usize, end.saturating_sub(1));
            node.end_line = i as u32;
            let word_span = node.span;
            node.heredocs.push(Heredoc {
                name,
                file_descriptor: 0,
                expand: true,
                chomp,
                content,
                word_span,
                body_span: TextRange::from_usize(body_start, end),
            });
        }
        nodes.push(node);
    }
    Dockerfile {
        directives: Vec::new(),
        escape: '\\',
        nodes,
        warnings: Vec::new(),
    }
}

fn parse_line(line: &str, base: usize, line_no: u32) -> Node {
    let kw_len = line.find(char::is_whitespace).unwrap_or(line.len());
    let keyword = sp(&line[..kw_len], base);
    let mut pos = kw_len;
    let mut flags = Vec::new();
    let lower = keyword.value.to_lowercase();
    loop {
        let rest = &line[pos..];
        let ws = rest.len() - rest.trim_start().len();
        let rest_t = rest.trim_start();
        if !rest_t.starts_with("--") || lower == "onbuild" {
            pos += ws;
            break;
        }
        let end = rest_t.find(char::is_whitespace).unwrap_or(rest_t.len());
        flags.push(sp(&rest_t[..end], base + pos + ws));
        pos += ws + end;
    }
    let rest_text = line[pos..].trim_end();
    let rest = sp(rest_text, base + pos);
    let mut json = false;
    let mut sub = None;
    let args = match lower.as_str() {
        "onbuild" => {
            sub = Some(Box::new(parse_line(rest_text, base + pos, line_no)));
            Vec::new()
        }
        "env" | "label" => {
            let ws = words(rest_text, base + pos);
            if ws.first().is_some_and(|w| !w.value.contains('=')) && ws.len() > 1 {
                let key = ws[0].clone();
                let vstart = (ws[1].span.start as usize) - base - pos;
                vec![
                    key,
                    sp(&rest_text[vstart..], ws[1].span.start as usize),
                    sp("", 0),
                ]
            } else {
                let mut v = Vec::new();
                for w in ws {
                    let (k, val) = w.value.split_once('=').unwrap_or((&w.value, ""));
                    let s = w.span.start as usize;
                    v.push(sp(k, s));
                    v.push(sp(val, s + k.len() + 1));
                    v.push(sp("=", s + k.len()));
                }
                v
            }
        }
        "healthcheck" => {
            let ws = words(rest_text, base + pos);
            let mut v: Vec<_> = ws.first().cloned().into_iter().collect();
            if let Some(first) = ws.first() {
                let after = (first.span.end as usize) - base - pos;
                let tail = rest_text[after..].trim_start();
                let tail_start = base + pos + rest_text.len() - tail.len();
                if let Ok(items) = serde_json::from_str::<Vec<String>>(tail) {
                    json = true;
                    v.extend(items.iter().map(|s| sp(s, tail_start)));
                } else if !tail.is_empty() {
                    v.push(sp(tail, tail_start));
                }
            }
            v
        }
        _ if rest_text.starts_with('[') => match serde_json::from_str::<Vec<String>>(rest_text) {
            Ok(items) => {
                json = true;
                items.iter().map(|s| sp(s, base + pos)).collect()
            }
            Err(_) => vec![rest.clone()],
        },
        "from" | "copy" | "add" | "expose" | "volume" | "arg" => words(rest_text, base + pos),
        "run" | "cmd" | "entrypoint" | "shell" | "workdir" | "user" | "stopsignal"
        | "maintainer" => {
            if rest_text.is_empty() {
                Vec::new()
            } else {
                vec![rest.clone()]
            }
        }
        _ => vec![sp("", base + pos)],
    };
    Node {
        keyword,
        flags,
        args,
        json,
        sub,
        heredocs: Vec::new(),
        rest,
        original: line.to_string(),
        span: TextRange::from_usize(base, base + line.trim_end().len()),
        start_line: line_no,
        end_line: line_no,
        prev_comment: Vec::new(),
    }
}

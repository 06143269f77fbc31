//! INCLUDE: which files, from where, and splicing them.

use super::{FileCtx, Walker, K, MAX_INCLUDED_FILES, MAX_INCLUDE_DEPTH};
use crate::convert::compose::glob::Glob;
use crate::convert::compose::include::{self, Place};
use crate::convert::compose::{DirRequest, Loaded};
use crate::convert::host::FileRequest;
use crate::syntax::ast::Node;
use crate::text::TextRange;

impl Walker<'_> {
    pub(super) fn include(&mut self, node: &Node, f: &FileCtx) {
        self.extension("INCLUDE", node.keyword.span);
        let Some(place) = self.include_source(node, f) else {
            return;
        };
        if node.args.is_empty() {
            let message = "INCLUDE needs at least one path".to_string();
            self.error(K::Usage { message }, node.keyword.span, None);
        }
        for arg in &node.args {
            let Some(path) = self.expand(&arg.value, arg.span, f.escape, true) else {
                continue;
            };
            if path.is_empty() {
                let word = arg.value.clone();
                self.error(
                    K::EmptyExpansion {
                        word: word.to_string(),
                    },
                    arg.span,
                    None,
                );
                continue;
            }
            let Some(full) = include::resolve(&place.dir, &path) else {
                let source = include::describe(&place.source);
                let help = "paths are relative to the including file and stay in its source; \
                            read other files with --from=context or --from=<named context>";
                self.error(
                    K::OutsideSource { path, source },
                    arg.span,
                    Some(help.into()),
                );
                continue;
            };
            let (dir, name) = match full.rsplit_once('/') {
                Some((d, n)) => (d.to_string(), n.to_string()),
                None => (String::new(), full.clone()),
            };
            if Glob::is_pattern(&dir) {
                self.error(K::GlobInDirectory { pattern: path }, arg.span, None);
            } else if Glob::is_pattern(&name) {
                self.include_glob(&place, dir, name, arg.span);
            } else {
                self.include_file(&place, &full, arg.span);
            }
        }
    }

    /// `--from=` of an INCLUDE: the place its paths are read from.
    fn include_source(&mut self, node: &Node, f: &FileCtx) -> Option<Place> {
        let mut from = None;
        for flag in &node.flags {
            match flag.value.split_once('=') {
                Some(("--from", v)) if !v.is_empty() => from = Some((v.to_string(), flag.span)),
                _ => {
                    let message = format!(
                        "INCLUDE takes one flag, --from=<context|name>; not {}",
                        flag.value
                    );
                    self.error(K::Usage { message }, flag.span, None);
                    return None;
                }
            }
        }
        if from.is_some() {
            self.extension("INCLUDE --from", node.keyword.span);
        }
        let name = match &from {
            Some((raw, span)) => Some(self.expand(raw, *span, f.escape, true)?),
            None => None,
        };
        match include::source_for(name.as_deref(), &f.place, self.opts) {
            Ok(p) => Some(p),
            Err((kind, help)) => {
                let span = from.map_or(node.keyword.span, |(_, s)| s);
                self.error(kind, span, help);
                None
            }
        }
    }

    fn include_glob(&mut self, place: &Place, dir: String, name: String, span: TextRange) {
        let glob = match Glob::new(&name, true) {
            Ok(g) => g,
            Err(e) => {
                let message = format!("{name}: {}", e.message);
                self.error(K::Usage { message }, span, None);
                return;
            }
        };
        let req = DirRequest {
            source: place.source.clone(),
            dir: place.request_path(&dir),
            pattern: name,
        };
        let names = match self.c.dirs.get(&req) {
            None => {
                self.dirs.insert(req);
                return;
            }
            Some(Err(reason)) => {
                let (path, reason) = (req.dir.clone(), reason.clone());
                self.error(K::ReadFailed { path, reason }, span, None);
                return;
            }
            Some(Ok(names)) => names,
        };
        let mut hits: Vec<&String> = names.iter().filter(|n| glob.matches(n)).collect();
        hits.sort();
        hits.dedup();
        if hits.is_empty() {
            let pattern = join(&dir, &req.pattern);
            let source = include::describe(&req.source);
            self.error(K::NoMatch { pattern, source }, span, None);
            return;
        }
        for hit in hits {
            self.include_file(place, &join(&dir, hit), span);
        }
    }

    /// The file at `rel` in `place`'s source.
    fn include_file(&mut self, place: &Place, rel: &str, span: TextRange) {
        let req = FileRequest {
            source: place.source.clone(),
            path: place.request_path(rel),
        };
        let c = self.c;
        match c.files.get(&req) {
            None => {
                self.files.entry(req).or_insert(span);
            }
            Some(Loaded::Missing) => self.not_found(place, rel, req, span),
            Some(Loaded::Failed(reason)) => {
                let (path, reason) = (req.path.clone(), reason.clone());
                self.error(K::ReadFailed { path, reason }, span, None);
            }
            Some(Loaded::Invalid(diags)) => {
                if self.reported.insert(req) {
                    self.errors.extend(diags.iter().cloned());
                }
            }
            Some(Loaded::File {
                nodes,
                escape,
                escape_span,
                has_from,
            }) => {
                if let Some(at) = self.chain.iter().position(|r| r == &req) {
                    let mut names: Vec<String> = self.chain[at..]
                        .iter()
                        .map(|r| include::display(&r.source, &r.path))
                        .collect();
                    names.push(include::display(&req.source, &req.path));
                    let chain = names.join(" -> ");
                    self.error(K::Cycle { chain }, span, None);
                    return;
                }
                self.splices += 1;
                if self.chain.len() > MAX_INCLUDE_DEPTH || self.splices > MAX_INCLUDED_FILES {
                    let message = format!(
                        "at most {MAX_INCLUDE_DEPTH} levels and {MAX_INCLUDED_FILES} INCLUDEd files"
                    );
                    self.error(K::Limit { message }, span, None);
                    return;
                }
                if *escape != c.main.escape {
                    let kind = K::EscapeMismatch {
                        included: *escape,
                        main: c.main.escape,
                    };
                    let help = "use the same `# escape=` in every file of a build".to_string();
                    self.error(kind, escape_span.unwrap_or(span), Some(help));
                    return;
                }
                let end = nodes.first().map_or(span.end, |n| {
                    super::last_line_end(self.sources.entry_at(n.span.start))
                });
                let ctx = FileCtx {
                    place: place.child(rel),
                    escape: *escape,
                    hoist: *has_from && self.in_stage,
                    end,
                };
                self.chain.push(req);
                self.walk_file(nodes, &ctx);
                self.chain.pop();
            }
        }
    }

    /// A missing file: reported with a near miss from its directory, which
    /// is listed first.
    fn not_found(&mut self, place: &Place, rel: &str, req: FileRequest, span: TextRange) {
        let dir = include::parent(rel).to_string();
        let listing = DirRequest {
            source: req.source.clone(),
            dir: place.request_path(&dir),
            pattern: "*".into(),
        };
        let near = match self.c.dirs.get(&listing) {
            None => {
                self.dirs.insert(listing);
                return;
            }
            Some(Ok(names)) => {
                let base = req.path.rsplit('/').next().unwrap_or(&req.path);
                include::near_miss(base, names)
            }
            Some(Err(_)) => None,
        };
        let help = match near {
            Some(n) => format!("did you mean {}?", join(&dir, &n)),
            None => "paths are relative to the directory of the including file".into(),
        };
        let source = include::describe(&req.source);
        let path = req.path;
        self.error(K::NotFound { path, source }, span, Some(help));
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

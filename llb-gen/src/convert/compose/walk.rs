//! One walk over the Dockerfile and what it includes (see the module docs).

use std::collections::{BTreeMap, BTreeSet};

use super::cond::{self, CondWord};
use super::include::{self, Place};
use super::{ComposeErrorKind as K, Composer, DirRequest};
use super::{MAX_INCLUDED_FILES, MAX_INCLUDE_DEPTH};
use crate::convert::args::EnvList;
use crate::convert::host::{FileRequest, FileSource};
use crate::convert::platform::default_args;
use crate::convert::{ConvertOptions, Error, ErrorKind};
use crate::diagnostic::Diagnostic;
use crate::ir::ExtensionUse;
use crate::limits::Limits;
use crate::sources::SourceSet;
use crate::syntax::ast::Node;
use crate::syntax::Keyword;
use crate::text::TextRange;
use crate::words::Lexer;

/// An open IF block.
struct Block {
    /// The IF keyword.
    span: TextRange,
    /// The enclosing code runs.
    parent: bool,
    /// The current branch runs.
    active: bool,
    /// Some branch was taken already.
    taken: bool,
    /// The final ELSE, once seen.
    else_span: Option<TextRange>,
}

/// The file being walked.
struct FileCtx {
    place: Place,
    escape: char,
    /// The file declares stages and is included inside one: its ARGs before
    /// its first FROM are global ARGs.
    hoist: bool,
    /// One past its last offset (where an open IF is reported).
    end: u32,
}

/// What a walk found.
pub(super) struct Finished {
    pub(super) nodes: Vec<Node>,
    pub(super) extensions: Vec<ExtensionUse>,
    pub(super) warnings: Vec<Diagnostic>,
    pub(super) errors: Vec<Diagnostic>,
    pub(super) files: Vec<(FileRequest, TextRange)>,
    pub(super) dirs: Vec<DirRequest>,
}

pub(super) struct Walker<'a> {
    c: &'a Composer,
    sources: &'a SourceSet,
    opts: &'a ConvertOptions,
    limits: &'a Limits,
    env: EnvList,
    globals: BTreeSet<String>,
    stage_vars: BTreeSet<String>,
    in_stage: bool,
    out: Vec<Node>,
    hoisted: Vec<Node>,
    first_from: Option<usize>,
    files: BTreeMap<FileRequest, TextRange>,
    dirs: BTreeSet<DirRequest>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    extensions: Vec<ExtensionUse>,
    chain: Vec<FileRequest>,
    splices: usize,
    reported: BTreeSet<FileRequest>,
}

impl<'a> Walker<'a> {
    pub(super) fn new(
        c: &'a Composer,
        sources: &'a SourceSet,
        opts: &'a ConvertOptions,
        limits: &'a Limits,
    ) -> Self {
        let target = opts
            .target_platform
            .clone()
            .unwrap_or_else(|| opts.build_platform.clone());
        let stage = opts.target.clone().filter(|t| !t.is_empty());
        let env = default_args(
            &opts.build_platform,
            &target,
            stage.as_deref().unwrap_or("default"),
        );
        let globals = env.iter().map(|(k, _)| k.to_string()).collect();
        Walker {
            c,
            sources,
            opts,
            limits,
            env,
            globals,
            stage_vars: BTreeSet::new(),
            in_stage: false,
            out: Vec::new(),
            hoisted: Vec::new(),
            first_from: None,
            files: BTreeMap::new(),
            dirs: BTreeSet::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            extensions: Vec::new(),
            chain: Vec::new(),
            splices: 0,
            reported: BTreeSet::new(),
        }
    }

    /// Walks the main Dockerfile (or the imported file the composer is
    /// for).
    pub(super) fn main(&mut self) {
        let c = self.c;
        let (request, place, end) = match &c.root {
            Some((request, place, end)) => (request.clone(), place.clone(), *end),
            None => {
                let filename = self.opts.filename.as_str();
                let request = FileRequest {
                    source: FileSource::Dockerfile,
                    path: filename.to_string(),
                };
                let place = Place {
                    source: FileSource::Dockerfile,
                    root: include::parent(filename).to_string(),
                    dir: String::new(),
                };
                (request, place, last_line_end(self.sources.main()))
            }
        };
        self.chain.push(request);
        let ctx = FileCtx {
            place,
            escape: c.main.escape,
            hoist: false,
            end,
        };
        self.walk_file(&c.main.nodes, &ctx);
    }

    pub(super) fn finish(mut self) -> Finished {
        let at = self.first_from.unwrap_or(self.out.len());
        self.out.splice(at..at, self.hoisted);
        Finished {
            nodes: self.out,
            extensions: self.extensions,
            warnings: self.warnings,
            errors: self.errors,
            files: self.files.into_iter().collect(),
            dirs: self.dirs.into_iter().collect(),
        }
    }

    fn error(&mut self, kind: K, span: TextRange, help: Option<String>) {
        let mut e = Error::new(ErrorKind::Compose(kind), span);
        if let Some(h) = help {
            e = e.with_help(h);
        }
        self.errors.push(e.to_diagnostic());
    }

    fn error_with_label(&mut self, kind: K, span: TextRange, label: (TextRange, &'static str)) {
        let e = Error::new(ErrorKind::Compose(kind), span).with_aux_span(label.0, label.1);
        self.errors.push(e.to_diagnostic());
    }

    fn extension(&mut self, name: &'static str, span: TextRange) {
        self.extensions.push(ExtensionUse { name, span });
    }

    fn too_many(&self) -> bool {
        self.errors.len() > crate::diagnostic::MAX_SHOWN_DIAGNOSTICS
    }

    fn walk_file(&mut self, nodes: &[Node], f: &FileCtx) {
        let mut blocks: Vec<Block> = Vec::new();
        let mut leading = f.hoist;
        for node in nodes {
            if self.too_many() {
                return;
            }
            let active = blocks.last().is_none_or(|b| b.active);
            match node.kind {
                Some(Keyword::If) => self.open_if(node, f, active, &mut blocks),
                Some(Keyword::Else) => self.else_branch(node, f, &mut blocks),
                Some(Keyword::End) => self.end(node, &mut blocks),
                _ if !active => {}
                Some(Keyword::Include) => self.include(node, f),
                Some(Keyword::From) => {
                    leading = false;
                    self.from(node);
                }
                Some(Keyword::Arg) => self.arg(node, f.escape, leading),
                Some(Keyword::Env) => {
                    let keys = node.args.iter().step_by(3);
                    self.stage_vars.extend(keys.map(|k| k.value.to_string()));
                    self.push(node);
                }
                _ => self.push(node),
            }
        }
        if let Some(b) = blocks.last() {
            let end = TextRange::empty(f.end);
            self.error_with_label(K::UnclosedIf, b.span, (end, "the file ends here"));
        }
    }

    fn push(&mut self, node: &Node) {
        if self.out.len() + self.hoisted.len() >= self.limits.max_instructions {
            if !self
                .errors
                .iter()
                .any(|e| e.code == crate::codes::Code::IncludeLimit)
            {
                let message = format!(
                    "more than {} instructions in all",
                    self.limits.max_instructions
                );
                self.error(K::Limit { message }, node.keyword.span, None);
            }
            return;
        }
        self.out.push(node.clone());
    }

    fn from(&mut self, node: &Node) {
        self.in_stage = true;
        if self.first_from.is_none() {
            self.first_from = Some(self.out.len());
        }
        self.push(node);
    }

    /// ARG: a global one (before the first FROM, or before the first FROM
    /// of an included file with stages) is evaluated now.
    fn arg(&mut self, node: &Node, escape: char, leading: bool) {
        let mut ignored = Vec::new();
        let decls = crate::ir::lower_arg_decls(node, &mut ignored);
        if self.in_stage && !leading {
            self.stage_vars
                .extend(decls.iter().map(|d| d.name.value.to_string()));
            self.push(node);
            return;
        }
        for d in decls {
            let name = d.name.value;
            let value = match (self.opts.build_args.get(name.as_str()), d.default) {
                (Some(v), _) => Some(v.clone()),
                (None, Some(w)) => self.expand(&w.value, w.span, escape, false),
                (None, None) => None,
            };
            if let Some(v) = value {
                self.env.add_or_replace(&name, &v);
            }
            self.globals.insert(name.to_string());
        }
        if self.in_stage {
            self.hoisted.push(node.clone());
        } else {
            self.push(node);
        }
    }

    /// Expands `raw` with the global ARGs; a variable known only inside a
    /// stage is an error, one declared nowhere a warning (with `warn`).
    fn expand(&mut self, raw: &str, span: TextRange, escape: char, warn: bool) -> Option<String> {
        let x = match Lexer::new(escape).process_word(raw, &self.env) {
            Ok(x) => x,
            Err(e) => {
                self.errors.push(Error::word(e, span).to_diagnostic());
                return None;
            }
        };
        for name in &x.unmatched {
            if self.globals.contains(name) {
                continue;
            }
            if self.stage_vars.contains(name) {
                let help = format!("declare `ARG {name}` before the first FROM");
                self.error(K::StageVariable { name: name.clone() }, span, Some(help));
                return None;
            }
            if warn {
                let message = format!("{name} is not declared by any ARG; it expands to nothing");
                let w = Diagnostic::warning(crate::codes::Code::UndefinedVar, message, span)
                    .with_help(format!("declare it: `ARG {name}` before the first FROM"));
                self.warnings.push(w);
            }
        }
        Some(x.value)
    }
}

/// Evaluates a parsed condition's words through the walker.
struct CondEnv<'w, 'a> {
    w: &'w mut Walker<'a>,
    escape: char,
    /// The condition text's span (word offsets are relative to its start).
    span: TextRange,
}

impl cond::Expander for CondEnv<'_, '_> {
    fn expand(&mut self, word: &CondWord) -> Result<String, ()> {
        let span = sub_span(self.span, word.at, word.len);
        self.w.expand(&word.raw, span, self.escape, true).ok_or(())
    }
}

/// The end of a file's last line (before its final newline).
fn last_line_end(e: &crate::sources::SourceEntry) -> u32 {
    e.end() - u32::from(e.bytes.ends_with(b"\n"))
}

/// `len` bytes at `at` inside `span`, clamped to it.
fn sub_span(span: TextRange, at: usize, len: usize) -> TextRange {
    let start = span
        .start
        .saturating_add(u32::try_from(at).unwrap_or(u32::MAX));
    let start = start.min(span.end);
    let end = start
        .saturating_add(u32::try_from(len).unwrap_or(u32::MAX))
        .min(span.end);
    TextRange::new(start, end)
}

mod blocks;
mod includes;

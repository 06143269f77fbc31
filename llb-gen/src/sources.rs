//! The files of one build: the Dockerfile and every file it includes or
//! imports, laid out in one byte address space.
//!
//! Every span in the pipeline is a [`TextRange`] of `u32` offsets. The main
//! Dockerfile starts at offset 0; each further file gets a base past the end
//! of the previous one, and its spans are shifted by that base when it is
//! parsed. So spans from different files never collide, every stage keeps
//! its single span type, and only the edges (rendering a diagnostic, a
//! source map, an error sent to BuildKit) ask the set which file an offset
//! belongs to and where in it.

use std::fmt::Write as _;

use crate::diagnostic::{render, Diagnostic, SourceFile};
use crate::text::TextRange;

/// Where a file of the build came from: its source (`None` for the main
/// Dockerfile, which the host read) and its path there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The source the file was read from.
    pub source: crate::convert::FileSource,
    /// Its path inside that source.
    pub path: String,
}

/// One file of the build.
#[derive(Clone, Debug)]
pub struct SourceEntry {
    /// The file as shown to users (`Dockerfile`, `common/base.Dockerfile`,
    /// `context:ci/lint.Dockerfile`), with its text and line index.
    pub file: SourceFile,
    /// Its bytes as read (what source maps send to BuildKit): the allocation of `file.text`
    /// when the file is UTF-8.
    pub bytes: std::sync::Arc<[u8]>,
    /// Where it came from; `None` for the main Dockerfile.
    pub origin: Option<Origin>,
    /// The first offset of the file in the build's address space.
    pub base: u32,
    /// The INCLUDE (or import) that brought it in, in the includer.
    pub included_at: Option<TextRange>,
    /// It was brought in by an import (`FROM ./file#stage`), not INCLUDE.
    pub imported: bool,
}

impl SourceEntry {
    /// `span` (of this file) relative to the file's own start.
    pub fn local(&self, span: TextRange) -> TextRange {
        TextRange::new(
            span.start.saturating_sub(self.base),
            span.end.saturating_sub(self.base),
        )
    }

    /// One past the file's last offset.
    pub fn end(&self) -> u32 {
        self.base
            .saturating_add(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX))
    }

    /// 1-based first and last line of `span` (of this file).
    pub fn line_span(&self, span: TextRange) -> (u32, u32) {
        self.file.line_span(self.local(span))
    }
}

/// The files of one build, in the order they were added (the main
/// Dockerfile first).
#[derive(Clone, Debug)]
pub struct SourceSet {
    files: Vec<SourceEntry>,
}

impl SourceSet {
    /// A set holding the main Dockerfile `name` with its `bytes`.
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> SourceSet {
        let (text, bytes) = text_and_bytes(&bytes.into());
        SourceSet {
            files: vec![SourceEntry {
                file: SourceFile::new(name, text),
                bytes,
                origin: None,
                base: 0,
                included_at: None,
                imported: false,
            }],
        }
    }

    /// Adds a file and returns its base offset: one past the end of the
    /// last file, so an empty span at a file's end is still inside it.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        bytes: &[u8],
        origin: Origin,
        included_at: TextRange,
    ) -> u32 {
        let base = self.files.last().map_or(0, |f| f.end().saturating_add(1));
        let (text, bytes) = text_and_bytes(bytes);
        self.files.push(SourceEntry {
            file: SourceFile::new(name, text),
            bytes,
            origin: Some(origin),
            base,
            included_at: Some(included_at),
            imported: false,
        });
        base
    }

    /// [`SourceSet::add`] for a file imported by `FROM ./file#stage` (and
    /// the other import references) at `imported_at`.
    pub fn add_import(
        &mut self,
        name: impl Into<String>,
        bytes: &[u8],
        origin: Origin,
        imported_at: TextRange,
    ) -> u32 {
        let base = self.add(name, bytes, origin, imported_at);
        if let Some(last) = self.files.last_mut() {
            last.imported = true;
        }
        base
    }

    /// Adds a file read beside the Dockerfile that no instruction brought
    /// in (the lock file): its diagnostics have no include chain.
    pub fn add_beside(&mut self, name: impl Into<String>, bytes: &[u8], origin: Origin) -> u32 {
        let base = self.add(name, bytes, origin, TextRange::empty(0));
        if let Some(last) = self.files.last_mut() {
            last.included_at = None;
        }
        base
    }

    /// Shows the main Dockerfile as `name` in diagnostics.
    pub fn rename_main(&mut self, name: impl Into<String>) {
        if let Some(main) = self.files.first_mut() {
            main.file.name = name.into();
        }
    }

    /// Every file, the main Dockerfile first.
    pub fn entries(&self) -> &[SourceEntry] {
        &self.files
    }

    /// The main Dockerfile.
    pub fn main(&self) -> &SourceEntry {
        &self.files[0]
    }

    /// The index of the file that holds `offset`.
    pub fn index_of(&self, offset: u32) -> usize {
        self.files
            .partition_point(|f| f.base <= offset)
            .saturating_sub(1)
    }

    /// The file that holds `offset`.
    pub fn entry_at(&self, offset: u32) -> &SourceEntry {
        &self.files[self.index_of(offset)]
    }

    /// The text of every file at its base (the one-byte gaps between files
    /// are newlines): any span of the build indexes it. A single file's is
    /// borrowed.
    pub fn joined_text(&self) -> std::borrow::Cow<'_, str> {
        if let [only] = self.files.as_slice() {
            return std::borrow::Cow::Borrowed(&only.file.text);
        }
        let mut out = String::with_capacity(self.total_bytes() + self.files.len());
        for f in &self.files {
            if !out.is_empty() || f.base > 0 {
                out.push('\n');
            }
            out.push_str(&f.file.text);
        }
        std::borrow::Cow::Owned(out)
    }

    /// Total bytes of every file.
    pub fn total_bytes(&self) -> usize {
        self.files.iter().map(|f| f.bytes.len()).sum()
    }

    /// The include chain of the file holding `offset`, innermost first:
    /// the place of each INCLUDE (or import) that led to it.
    pub fn chain(&self, offset: u32) -> Vec<TextRange> {
        self.chain_described(offset)
            .into_iter()
            .map(|(span, _)| span)
            .collect()
    }

    /// [`SourceSet::chain`] with how each file came in: `included from`
    /// or `imported from`.
    pub fn chain_described(&self, offset: u32) -> Vec<(TextRange, &'static str)> {
        let mut out = Vec::new();
        let mut at = self.entry_at(offset);
        while let Some(span) = at.included_at {
            let how = if at.imported {
                "imported from"
            } else {
                "included from"
            };
            out.push((span, how));
            let next = self.entry_at(span.start);
            if std::ptr::eq(next, at) || out.len() > self.files.len() {
                break;
            }
            at = next;
        }
        out
    }

    /// `file:line:col` of `offset`.
    pub fn position(&self, offset: u32) -> String {
        let e = self.entry_at(offset);
        let at = e.file.lines.line_col(offset - e.base, &e.file.text);
        format!("{}:{}:{}", e.file.name, at.line, at.col)
    }

    /// Renders `diag` against the file it points into, with its include
    /// chain as notes; a label in another file becomes a note.
    pub fn render(&self, diag: &Diagnostic) -> String {
        let entry = self.entry_at(diag.span.start);
        let mut local = diag.clone();
        local.span = entry.local(diag.span);
        let mut foreign_label = None;
        if let Some(label) = local.label.as_mut() {
            if self.index_of(label.span.start) == self.index_of(diag.span.start) {
                label.span = entry.local(label.span);
            } else {
                foreign_label = Some((label.message.clone(), label.span));
            }
        }
        if foreign_label.is_some() {
            local.label = None;
        }
        let mut out = render(&local, &entry.file);
        if let Some((message, span)) = foreign_label {
            let _ = writeln!(out, "  = note: {message}: {}", self.position(span.start));
        }
        for (span, how) in self.chain_described(diag.span.start) {
            let _ = writeln!(out, "  = note: {how} {}", self.position(span.start));
        }
        out
    }

    /// [`SourceSet::render`] for several diagnostics: the first
    /// [`crate::diagnostic::MAX_SHOWN_DIAGNOSTICS`], then how many more.
    pub fn render_all(&self, diags: &[Diagnostic]) -> String {
        crate::diagnostic::render_each(diags, |d| self.render(d))
    }
}

/// A file's text ([`crate::syntax::source_text`]) and bytes, shared: one allocation when the
/// file is UTF-8 (its text is then its bytes), no `String` copied into it.
fn text_and_bytes(bytes: &[u8]) -> (std::sync::Arc<str>, std::sync::Arc<[u8]>) {
    use std::sync::Arc;
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let text: Arc<str> = Arc::from(text);
            let bytes = Arc::<[u8]>::from(text.clone());
            (text, bytes)
        }
        Err(_) => (
            Arc::from(crate::syntax::source_text(bytes)),
            Arc::from(bytes),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;
    use crate::convert::FileSource;

    fn origin(path: &str) -> Origin {
        Origin {
            source: FileSource::Dockerfile,
            path: path.into(),
        }
    }

    #[test]
    fn offsets_find_their_file_and_chain() {
        let mut set = SourceSet::new("Dockerfile", b"FROM a\nINCLUDE b.df\n");
        let b = set.add(
            "b.df",
            b"INCLUDE c.df\n",
            origin("b.df"),
            TextRange::new(7, 19),
        );
        let c = set.add(
            "c.df",
            b"RUN x\n",
            origin("c.df"),
            TextRange::new(b, b + 12),
        );
        assert_eq!(b, 21);
        assert_eq!(c, b + 14);
        assert_eq!(set.index_of(3), 0);
        assert_eq!(
            set.index_of(b + 13),
            1,
            "an offset at the end stays in its file"
        );
        assert_eq!(set.index_of(c + 2), 2);
        assert_eq!(
            set.chain(c),
            vec![TextRange::new(b, b + 12), TextRange::new(7, 19)]
        );
        let d = Diagnostic::error(Code::UnknownInstruction, "x", TextRange::new(c, c + 3));
        let shown = set.render(&d);
        assert!(shown.contains(" --> c.df:1:1"), "{shown}");
        assert!(shown.contains("included from b.df:1:1"), "{shown}");
        assert!(shown.contains("included from Dockerfile:2:1"), "{shown}");
    }
}

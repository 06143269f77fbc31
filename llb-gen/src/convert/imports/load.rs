//! Loading one imported file: parse it into the build's address space,
//! compose it when it uses INCLUDE or IF, lower it, and add it as a unit.

use super::{Asked, Importer, Next, K};
use crate::convert::compose::include::{self, Place};
use crate::convert::compose::{self, Composer, Walked};
use crate::convert::host::{FileAnswer, FileRequest};
use crate::convert::ConvertOptions;
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::sources::{Origin, SourceSet};
use crate::syntax::ast;
use crate::text::TextRange;

/// A loaded file that uses INCLUDE or IF, waiting for its composition.
pub(super) struct ToCompose {
    pub(super) request: FileRequest,
    label: String,
    place: Place,
    file: ast::Dockerfile,
    end: u32,
}

impl Importer {
    /// Takes one answered file in.
    pub(super) fn load(
        &mut self,
        sources: &mut SourceSet,
        request: FileRequest,
        asked: Asked,
        answer: FileAnswer,
        opts: &ConvertOptions,
        limits: &Limits,
    ) {
        let bytes = match answer {
            Ok(Some(b)) => b,
            Ok(None) => {
                let listing = compose::DirRequest {
                    source: request.source.clone(),
                    dir: asked.place.request_path(include::parent(&asked.rel)),
                    pattern: "*".into(),
                };
                self.missing.insert(request, (asked, listing));
                return;
            }
            Err(reason) => {
                let path = request.path.clone();
                return self.error(K::ReadFailed { path, reason }, asked.span, None);
            }
        };
        if sources.total_bytes() + bytes.len() > compose::MAX_INCLUDED_BYTES {
            let message = format!(
                "the included and imported files exceed {} bytes in all",
                compose::MAX_INCLUDED_BYTES
            );
            return self.error(K::Limit { message }, asked.span, None);
        }
        let label = include::display(&request.source, &request.path);
        let origin = Origin {
            source: request.source.clone(),
            path: request.path.clone(),
        };
        let base = sources.add_import(label.clone(), &bytes, origin, asked.span);
        let parsed = compose::parse_added(sources, &bytes, limits);
        if !parsed.errors.is_empty() {
            let errors = parsed
                .errors
                .iter()
                .map(|e| shifted(e.to_diagnostic(), base));
            self.errors.extend(errors);
            return;
        }
        let mut file = parsed.dockerfile;
        ast::shift_nodes(&mut file.nodes, base);
        for d in &mut file.directives {
            d.shift(base);
        }
        let warnings = std::mem::take(&mut file.warnings);
        self.warnings
            .extend(warnings.iter().map(|w| shifted(w.to_diagnostic(), base)));
        let place = Place {
            dir: include::parent(&asked.rel).to_string(),
            ..asked.place
        };
        if compose::needed(&file) {
            let e = sources.entries().last().map_or(base, |e| e.end());
            let end = e - u32::from(bytes.ends_with(b"\n"));
            self.to_compose.push_back(ToCompose {
                request,
                label,
                place,
                file,
                end,
            });
            return;
        }
        self.lowered(file, request, label, place, opts, limits);
    }

    /// Lowers a (composed) file and adds it as a unit.
    fn lowered(
        &mut self,
        file: ast::Dockerfile,
        request: FileRequest,
        label: String,
        place: Place,
        opts: &ConvertOptions,
        limits: &Limits,
    ) {
        let parsed = crate::syntax::Parsed {
            dockerfile: file,
            errors: Vec::new(),
        };
        match crate::convert::lower_only(parsed, limits) {
            Ok((df, warnings)) => {
                self.warnings.extend(warnings);
                self.add_unit(df, request, label, place, opts);
            }
            Err(errors) => self.errors.extend(errors),
        }
    }

    /// Drives the composition of the loaded files that need one: `Some`
    /// when the composer needs files, `None` when none is in progress.
    pub(super) fn compose_step(
        &mut self,
        sources: &mut SourceSet,
        opts: &ConvertOptions,
        limits: &Limits,
    ) -> Option<Next> {
        if self.composing.is_none() {
            let t = self.to_compose.pop_front()?;
            let c = Composer::for_import(t.file.clone(), t.request.clone(), t.place.clone(), t.end);
            self.composing = Some((Box::new(c), t));
        }
        let (mut c, t) = self.composing.take()?;
        match c.walk(sources, opts, limits) {
            Ok(Walked::Need(files, dirs)) => {
                self.composing = Some((c, t));
                Some(Next::Need(files, dirs))
            }
            Ok(Walked::Done(composed)) => {
                self.warnings.extend(composed.warnings);
                let mut file = composed.dockerfile;
                file.warnings.clear();
                let at = self.units.len();
                self.lowered(file, t.request, t.label, t.place, opts, limits);
                if let Some(u) = self.units.get_mut(at) {
                    u.df.extensions.extend(composed.extensions);
                }
                None
            }
            Err(errors) => {
                self.errors.extend(errors);
                None
            }
        }
    }
}

/// `d` with its spans moved by `base`.
fn shifted(mut d: Diagnostic, base: u32) -> Diagnostic {
    let by = |r: TextRange| TextRange::new(r.start + base, r.end + base);
    d.span = by(d.span);
    if let Some(l) = d.label.as_mut() {
        l.span = by(l.span);
    }
    d
}

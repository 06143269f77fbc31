//! The merge: cycles between files, the stage each reference names, and
//! one `ir::Dockerfile` with a namespace per file.

use std::collections::HashMap;

use super::{Importer, Namespaces, Space, K};
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::text::TextRange;

impl Importer {
    /// Every file's stages in one Dockerfile (the main file's first, so
    /// its stages keep their indices), with the namespaces.
    pub(super) fn merge(&mut self) -> Result<(ir::Dockerfile, Namespaces), Vec<Diagnostic>> {
        self.check_cycles();
        let mut firsts = Vec::with_capacity(self.units.len());
        let mut n = 0;
        for u in &self.units {
            firsts.push(n);
            n += u.df.stages.len();
        }
        let mut spaces = Vec::with_capacity(self.units.len());
        for (i, u) in self.units.iter().enumerate() {
            let mut imports = HashMap::new();
            for (f, request) in &u.refs {
                let Some(&t) = self.by_file.get(request) else {
                    continue;
                };
                match self.stage_of(t, f.r.stage.as_deref()) {
                    Ok(s) => {
                        imports.insert(f.r.text.clone(), firsts[t] + s);
                    }
                    Err((kind, help)) => {
                        let help = match (f.used, help) {
                            (super::refs::Use::Target, Some(h)) => {
                                Some(format!("--target {}: {h}", f.r.text))
                            }
                            (super::refs::Use::Target, None) => {
                                Some(format!("--target {}", f.r.text))
                            }
                            (_, h) => h,
                        };
                        let mut e = crate::convert::Error::new(
                            crate::convert::ErrorKind::Compose(kind),
                            f.span,
                        );
                        if let Some(h) = help {
                            e = e.with_help(h);
                        }
                        self.errors.push(e.into());
                    }
                }
            }
            spaces.push(Space {
                label: if i == 0 {
                    String::new()
                } else {
                    u.label.clone()
                },
                globals: u.globals.clone(),
                escape: u.df.escape,
                first: firsts[i],
                imports,
            });
        }
        if !self.errors.is_empty() {
            return Err(std::mem::take(&mut self.errors));
        }
        let extensions = self.extensions();
        let mut units = std::mem::take(&mut self.units).into_iter();
        let Some(main) = units.next() else {
            return Err(Vec::new());
        };
        let mut df = main.df;
        let mut stage_space = vec![0; df.stages.len()];
        for (i, u) in units.enumerate() {
            for mut st in u.df.stages {
                st.index = df.stages.len();
                df.stages.push(st);
                stage_space.push(i + 1);
            }
        }
        df.extensions = extensions;
        df.extensions.sort_by_key(|e| e.span.start);
        Ok((
            df,
            Namespaces {
                spaces,
                stage_space,
            },
        ))
    }

    /// The stage `#stage` (or the last stage) of unit `t`: its index there.
    fn stage_of(&self, t: usize, stage: Option<&str>) -> Result<usize, (K, Option<String>)> {
        let u = &self.units[t];
        let file = u.label.clone();
        let Some(wanted) = stage else {
            return match u.df.stages.len() {
                0 => Err((K::ImportStage { file, stage: None }, None)),
                n => Ok(n - 1),
            };
        };
        // Stage names start with a letter: digits are a position.
        if let Ok(i) = wanted.parse::<usize>() {
            if i < u.df.stages.len() {
                return Ok(i);
            }
        }
        let lower = wanted.to_ascii_lowercase();
        let hit =
            u.df.stages
                .iter()
                .rposition(|s| s.name.as_ref().is_some_and(|n| n.value == lower));
        if let Some(i) = hit {
            return Ok(i);
        }
        let names: Vec<&str> =
            u.df.stages
                .iter()
                .filter_map(|s| s.name.as_ref().map(|n| n.value.as_str()))
                .collect();
        let help = match crate::ir::suggest::suggest(wanted, &names) {
            Some(s) => format!("did you mean #{s}?"),
            None if names.is_empty() => format!("{file} has no named stages"),
            None => format!("its stages: {}", names.join(", ")),
        };
        let kind = K::ImportStage {
            file,
            stage: Some(wanted.to_string()),
        };
        Err((kind, Some(help)))
    }

    /// Files that import each other: the first reference that closes a
    /// loop, with the chain.
    fn check_cycles(&mut self) {
        let n = self.units.len();
        let mut state = vec![0u8; n];
        let mut path = Vec::new();
        for start in 0..n {
            if let Some((chain, span)) = self.visit(start, &mut state, &mut path) {
                self.errors.push(
                    crate::convert::Error::new(
                        crate::convert::ErrorKind::Compose(K::ImportCycle { chain }),
                        span,
                    )
                    .with_help("move the stages both files need into a third file that both import")
                    .into(),
                );
                return;
            }
        }
    }

    fn visit(
        &self,
        u: usize,
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<(String, TextRange)> {
        if state[u] == 2 {
            return None;
        }
        state[u] = 1;
        path.push(u);
        for (f, request) in &self.units[u].refs {
            let Some(&t) = self.by_file.get(request) else {
                continue;
            };
            if state[t] == 1 {
                let at = path.iter().position(|&p| p == t).unwrap_or(0);
                let mut names: Vec<&str> = path[at..]
                    .iter()
                    .map(|&p| self.units[p].label.as_str())
                    .collect();
                names.push(self.units[t].label.as_str());
                return Some((names.join(" -> "), f.span));
            }
            if let Some(found) = self.visit(t, state, path) {
                return Some(found);
            }
        }
        path.pop();
        state[u] = 2;
        None
    }
}

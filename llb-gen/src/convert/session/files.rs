//! The files beside the Dockerfile and in the contexts that a round of the converter asks for
//! besides images: the `.dockerignore` files (patterns put where they belong in the plan) and the
//! base-image lock file (parsed and added to the build's files, so its errors are located in it).

use super::*;

impl Converter {
    /// The lock file's answer: no file is no lock; one that does not parse
    /// fails with every problem, located in the lock (added to the build's
    /// files for that).
    pub(super) fn read_lock(
        &mut self,
        answer: FileAnswer,
    ) -> Result<Option<Lock>, Vec<Diagnostic>> {
        let name = crate::lock::file_name(&self.opts.filename);
        let bytes = match answer {
            Ok(None) => return Ok(None),
            Ok(Some(bytes)) => bytes,
            Err(reason) => {
                let kind = ErrorKind::ReadLock { file: name, reason };
                return Err(vec![Error::new(kind, TextRange::empty(0)).into()]);
            }
        };
        let origin = crate::sources::Origin {
            source: FileSource::Dockerfile,
            path: name.clone(),
        };
        let base = self.sources.add_beside(name, &bytes, origin);
        crate::lock::parse(&bytes)
            .map(Some)
            .map_err(|errors| errors.iter().map(|e| e.to_diagnostic(base)).collect())
    }
}

/// Files answered for a round: `.dockerignore` patterns where they belong;
/// the lock file's answer, when it was asked for, is returned.
pub(super) fn take_files(
    plan: &mut Plan,
    uses: &[IgnoreFile],
    answers: Vec<FileAnswer>,
) -> Result<Option<FileAnswer>, Error> {
    let mut answers = answers.into_iter();
    let mut lock = None;
    for u in uses {
        let answer = answers.next().unwrap_or(Ok(None));
        if let IgnoreFile::Lock = u {
            lock = Some(answer);
            continue;
        }
        let bytes = answer.map_err(|e| {
            Error::new(
                ErrorKind::ReadIgnoreFile {
                    file: describe(u),
                    reason: e.to_string(),
                },
                TextRange::empty(0),
            )
        })?;
        let patterns =
            bytes.map(|b| crate::convert::dockerignore::parse(&String::from_utf8_lossy(&b)));
        match u {
            IgnoreFile::Dockerfile => plan.context_excludes = patterns,
            IgnoreFile::Context => plan.context_excludes = Some(patterns.unwrap_or_default()),
            IgnoreFile::Local(name) => {
                plan.local_excludes
                    .insert(name.clone(), patterns.unwrap_or_default());
            }
            IgnoreFile::Lock => {}
        }
    }
    Ok(lock)
}

fn describe(u: &IgnoreFile) -> String {
    match u {
        IgnoreFile::Dockerfile => "beside the Dockerfile".into(),
        IgnoreFile::Context => "of the build context".into(),
        IgnoreFile::Local(name) => format!("of the local directory {name:?}"),
        IgnoreFile::Lock => "lock".into(),
    }
}

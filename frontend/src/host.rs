//! The converter's host in the frontend: it answers each round of the
//! [`Converter`](llb_gen::convert::Converter)'s requests over the gateway,
//! all requests of a round concurrently: image configs with
//! `ResolveImageConfig`, files by solving the local they live in (only that
//! path) and `ReadFile`. Answers are kept for the whole conversion of one
//! platform (the platforms of a multi-platform build convert concurrently,
//! each with its own host).

use std::collections::BTreeMap;

use futures_util::future::join_all;
use llb_gen::convert::{
    Answers, DirAnswer, DirRequest, FileAnswer, FileRequest, FileSource, ImageAnswer, ImageRequest,
    Requests, ResolveMode, ResolvedImage,
};

use crate::bridge::{pb_platform, Bridge};
use crate::options::BuildOptions;
use crate::sources::LocalSource;

/// The requests in `wanted` not answered yet, each once.
fn missing<K: Ord + Clone, V>(wanted: &[K], known: &BTreeMap<K, V>) -> Vec<K> {
    let mut out: Vec<K> = wanted
        .iter()
        .filter(|k| !known.contains_key(k))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The files read together with the Dockerfile (in its transfer), which
/// the converter asks for as files beside it.
#[derive(Clone, Debug, Default)]
pub struct Beside {
    /// `<Dockerfile>.dockerignore`.
    pub dockerignore: Option<Vec<u8>>,
    /// `<Dockerfile>.lock`, the base-image lock file.
    pub lock: Option<Vec<u8>>,
}

/// Reads the local build context's `.dockerignore` the way a host answers the converter's ask
/// for it, to go out together with the Dockerfile's own solve instead of two round trips (a
/// solve, then a read) after the Dockerfile is parsed. The converter asks for it in every build
/// of a local context unless `<Dockerfile>.dockerignore` exists (read in the Dockerfile's
/// transfer, so not known yet): then the read was one small transfer of the context's
/// `.dockerignore` for nothing. Nothing for another main context.
pub async fn prefetch_context_ignore(
    bridge: &Bridge,
    fo: &BuildOptions,
) -> Vec<(FileRequest, FileAnswer)> {
    if !fo.convert.main_context.is_local() {
        return Vec::new();
    }
    GatewayHost::new(bridge, fo, Beside::default())
        .read_batch(vec![FileRequest::context_dockerignore()])
        .await
}

pub struct GatewayHost<'a> {
    bridge: &'a Bridge,
    fo: &'a BuildOptions,
    /// `<Dockerfile>.dockerignore` and `.lock`, read together with the
    /// Dockerfile.
    beside: Beside,
    images: BTreeMap<ImageRequest, ImageAnswer>,
    files: BTreeMap<FileRequest, FileAnswer>,
    dirs: BTreeMap<DirRequest, DirAnswer>,
    /// The solved remote source the Dockerfile came from (a Git or HTTP(S)
    /// main context), where the Dockerfile's directory is.
    remote_dockerfile: Option<String>,
    /// The solved remote build context, solved the first time a file of
    /// it is asked for.
    remote_context: tokio::sync::OnceCell<Result<String, String>>,
}

impl<'a> GatewayHost<'a> {
    pub fn new(bridge: &'a Bridge, fo: &'a BuildOptions, beside: Beside) -> Self {
        GatewayHost {
            bridge,
            fo,
            beside,
            images: BTreeMap::new(),
            files: BTreeMap::new(),
            dirs: BTreeMap::new(),
            remote_dockerfile: None,
            remote_context: tokio::sync::OnceCell::new(),
        }
    }

    /// The Dockerfile was read from this solved remote source: the
    /// converter's `Dockerfile` files are read there too.
    pub fn set_remote_dockerfile(&mut self, reference: Option<String>) {
        self.remote_dockerfile = reference;
    }

    /// Files already read for this build (`prefetch_context_ignore`): the converter's asks for
    /// them are answered without a call.
    pub fn seed_files(&mut self, files: &[(FileRequest, FileAnswer)]) {
        self.files.extend(files.iter().cloned());
    }

    /// Answers one round: what is not known yet is fetched concurrently.
    pub async fn answer(&mut self, req: &Requests) -> Answers {
        let images = missing(&req.images, &self.images);
        let files = missing(&req.files, &self.files);
        let dirs = missing(&req.dirs, &self.dirs);
        tracing::debug!(
            images = images.len(),
            files = files.len(),
            dirs = dirs.len(),
            "answering the converter"
        );
        // Files of one source come in one solve (only those paths).
        let mut by_source: BTreeMap<FileSource, Vec<FileRequest>> = BTreeMap::new();
        for f in files {
            by_source.entry(f.source.clone()).or_default().push(f);
        }
        let (image_answers, file_answers, dir_answers) = tokio::join!(
            join_all(images.into_iter().map(|r| self.resolve_one(r))),
            join_all(by_source.into_values().map(|batch| self.read_batch(batch))),
            join_all(dirs.into_iter().map(|d| self.list_one(d))),
        );
        self.images.extend(image_answers);
        self.files.extend(file_answers.into_iter().flatten());
        self.dirs.extend(dir_answers);
        Answers {
            images: req
                .images
                .iter()
                .map(|r| {
                    self.images
                        .get(r)
                        .cloned()
                        .unwrap_or_else(|| Err(format!("{}: not resolved", r.reference)))
                })
                .collect(),
            files: req
                .files
                .iter()
                .map(|f| self.files.get(f).cloned().unwrap_or(Ok(None)))
                .collect(),
            dirs: req
                .dirs
                .iter()
                .map(|d| {
                    self.dirs
                        .get(d)
                        .cloned()
                        .unwrap_or_else(|| Err("not listed".into()))
                })
                .collect(),
        }
    }

    fn mode_for(&self, req: &ImageRequest) -> &'static str {
        if req.resolve_mode_pull {
            return "pull";
        }
        match self.fo.convert.resolve_mode {
            ResolveMode::Default => "default",
            ResolveMode::Pull => "pull",
            ResolveMode::Local => "local",
        }
    }

    async fn resolve_one(&self, req: ImageRequest) -> (ImageRequest, ImageAnswer) {
        let answer = self
            .bridge
            .resolve_image_config(
                &req.reference,
                pb_platform(&req.platform),
                self.mode_for(&req),
                req.log_name.as_deref(),
                req.oci_store.as_deref().map(|store| {
                    (
                        self.fo.convert.session_id.as_deref().unwrap_or_default(),
                        store,
                    )
                }),
            )
            .await
            .map(|resp| ResolvedImage {
                reference: if resp.r#ref.is_empty() {
                    req.reference.clone()
                } else {
                    resp.r#ref
                },
                digest: resp.digest,
                config: resp.config,
            })
            .map_err(|status| format!("{}: {}", req.reference, status.message()));
        (req, answer)
    }

    /// Where a source's files are loaded from: the local's name, its
    /// shared key and the progress name of a load of `what`.
    fn local_of(&self, source: &FileSource, what: &str) -> Option<(String, String, String)> {
        Some(match source {
            FileSource::Dockerfile => (
                self.fo.dockerfile_local.clone(),
                format!("{}-{what}", self.fo.dockerfile_local),
                format!("[internal] load {what}"),
            ),
            FileSource::Context => (
                self.fo.context_local.clone(),
                format!("{}-{what}", self.fo.context_local),
                format!("[internal] load {what}"),
            ),
            FileSource::Local(local) => (
                local.clone(),
                format!("context:{local}-{what}"),
                format!("[context {local}] load {what}"),
            ),
            _ => return None,
        })
    }

    /// Solves the local of `source` with only `paths` (which may be
    /// patterns): the ref to read from.
    async fn solve_paths(&self, source: &FileSource, paths: Vec<String>) -> Result<String, String> {
        let what = paths.join(", ");
        let (local, shared_key, name) = self
            .local_of(source, &what)
            .ok_or_else(|| "unsupported file source".to_string())?;
        let def = LocalSource {
            name: &local,
            session_id: self.fo.session_for(&local),
            follow_paths: paths,
            shared_key_hint: shared_key,
            custom_name: name,
            platform: &self.fo.convert.build_platform,
        }
        .marshal();
        let solved = match def {
            Ok(def) => self.bridge.solve(def.definition, &[]).await,
            Err(e) => Err(e),
        };
        solved.map(|s| s.id).map_err(|e| {
            format!(
                "cannot load {what} from the local {local:?}: {}",
                e.message()
            )
        })
    }

    /// The files of one source: one solve with their paths, then one read
    /// each. A file that cannot be read is taken as missing (as upstream
    /// treats a missing `.dockerignore`); a local that cannot be loaded is
    /// an error for each.
    async fn read_batch(&self, batch: Vec<FileRequest>) -> Vec<(FileRequest, FileAnswer)> {
        let (known, wanted): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|f| self.read_with_dockerfile(f).is_some());
        let mut out: Vec<(FileRequest, FileAnswer)> = known
            .into_iter()
            .map(|f| {
                let bytes = self.read_with_dockerfile(&f).flatten();
                (f, Ok(bytes))
            })
            .collect();
        let Some(source) = wanted.first().map(|f| f.source.clone()) else {
            return out;
        };
        // Upstream applies no `.dockerignore` to a remote context.
        let remote_context =
            source == FileSource::Context && !self.fo.convert.main_context.is_local();
        let (wanted, ignored): (Vec<_>, Vec<_>) = wanted
            .into_iter()
            .partition(|f| !(remote_context && f.path == ".dockerignore"));
        out.extend(ignored.into_iter().map(|f| (f, Ok(None))));
        let solved = match self.remote_ref(&source).await {
            Some(solved) => solved,
            None => {
                let paths = wanted.iter().map(|f| f.path.clone()).collect();
                self.solve_paths(&source, paths).await
            }
        };
        match solved {
            Ok(id) => {
                let reads = wanted.iter().map(|f| self.bridge.read_file(&id, &f.path));
                let read = join_all(reads).await;
                out.extend(wanted.into_iter().zip(read).map(|(f, r)| (f, Ok(r.ok()))));
            }
            Err(e) => out.extend(wanted.into_iter().map(|f| (f, Err(e.clone())))),
        }
        out
    }

    /// A file read together with the Dockerfile: `Some(bytes or none)`;
    /// `None` for any other file.
    fn read_with_dockerfile(&self, f: &FileRequest) -> Option<Option<Vec<u8>>> {
        if f.source != FileSource::Dockerfile {
            return None;
        }
        let name = &self.fo.convert.filename;
        if f.path == format!("{name}.dockerignore") {
            Some(self.beside.dockerignore.clone())
        } else if f.path == llb_gen::lock::file_name(name) {
            Some(self.beside.lock.clone())
        } else {
            None
        }
    }

    /// One directory listing: the local solved with only the matching
    /// names, then `ReadDir`.
    async fn list_one(&self, d: DirRequest) -> (DirRequest, DirAnswer) {
        let pattern = if d.dir.is_empty() {
            d.pattern.clone()
        } else {
            format!("{}/{}", d.dir, d.pattern)
        };
        let solved = match self.remote_ref(&d.source).await {
            Some(solved) => solved,
            None => self.solve_paths(&d.source, vec![pattern]).await,
        };
        let answer = match solved {
            Ok(id) => match self.bridge.read_dir(&id, &d.dir, &d.pattern).await {
                Ok(names) => Ok(names),
                // A directory that does not exist has no names.
                Err(s) if s.code() == tonic::Code::NotFound => Ok(Vec::new()),
                Err(s) => Err(s.message().to_string()),
            },
            Err(e) => Err(e),
        };
        (d, answer)
    }

    /// The solved ref a source's files are read from when it is remote:
    /// the Dockerfile's Git or HTTP(S) source, or the remote build context
    /// (solved the first time); `None` for a local source.
    async fn remote_ref(&self, source: &FileSource) -> Option<Result<String, String>> {
        match source {
            FileSource::Dockerfile => self.remote_dockerfile.clone().map(Ok),
            FileSource::Context if !self.fo.convert.main_context.is_local() => {
                let solved = self
                    .remote_context
                    .get_or_init(|| async {
                        crate::remote::solve_context(self.bridge, self.fo)
                            .await
                            .map(|r| r.id)
                            .map_err(|e| e.message())
                    })
                    .await;
                Some(solved.clone())
            }
            _ => None,
        }
    }
}

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
    Answers, FileAnswer, FileRequest, FileSource, ImageAnswer, ImageRequest, Requests, ResolveMode,
    ResolvedImage,
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

pub struct GatewayHost<'a> {
    bridge: &'a Bridge,
    fo: &'a BuildOptions,
    /// `<Dockerfile>.dockerignore`, read together with the Dockerfile.
    dockerfile_ignore: Option<Vec<u8>>,
    images: BTreeMap<ImageRequest, ImageAnswer>,
    files: BTreeMap<FileRequest, FileAnswer>,
    /// The solved remote source the Dockerfile came from (a Git or HTTP(S)
    /// main context), where the Dockerfile's directory is.
    remote_dockerfile: Option<String>,
    /// The solved remote build context, solved the first time a file of
    /// it is asked for.
    remote_context: tokio::sync::OnceCell<Result<String, String>>,
}

impl<'a> GatewayHost<'a> {
    pub fn new(
        bridge: &'a Bridge,
        fo: &'a BuildOptions,
        dockerfile_ignore: Option<Vec<u8>>,
    ) -> Self {
        GatewayHost {
            bridge,
            fo,
            dockerfile_ignore,
            images: BTreeMap::new(),
            files: BTreeMap::new(),
            remote_dockerfile: None,
            remote_context: tokio::sync::OnceCell::new(),
        }
    }

    /// The Dockerfile was read from this solved remote source: the
    /// converter's `Dockerfile` files are read there too.
    pub fn set_remote_dockerfile(&mut self, reference: Option<String>) {
        self.remote_dockerfile = reference;
    }

    /// Answers one round: what is not known yet is fetched concurrently.
    pub async fn answer(&mut self, req: &Requests) -> Answers {
        let images = missing(&req.images, &self.images);
        let files = missing(&req.files, &self.files);
        tracing::debug!(
            images = images.len(),
            files = files.len(),
            "answering the converter"
        );
        let (image_answers, file_answers) = tokio::join!(
            join_all(images.into_iter().map(|r| self.resolve_one(r))),
            join_all(files.into_iter().map(|f| self.read_one(f))),
        );
        self.images.extend(image_answers);
        self.files.extend(file_answers);
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

    /// One file: solve its local with only that path, then read it. A file
    /// that cannot be read is taken as missing (as upstream treats a
    /// missing `.dockerignore`); a local that cannot be loaded is an error.
    async fn read_one(&self, f: FileRequest) -> (FileRequest, FileAnswer) {
        let ignore_name = format!("{}.dockerignore", self.fo.convert.filename);
        let remote_context = !self.fo.convert.main_context.is_local();
        let (local, shared_key, name) = match &f.source {
            FileSource::Dockerfile if f.path == ignore_name => {
                return (f.clone(), Ok(self.dockerfile_ignore.clone()));
            }
            FileSource::Dockerfile if self.remote_dockerfile.is_some() => {
                let reference = self.remote_dockerfile.clone().unwrap_or_default();
                let answer = self.bridge.read_file(&reference, &f.path).await.ok();
                return (f, Ok(answer));
            }
            // Upstream applies no `.dockerignore` to a remote context.
            FileSource::Context if remote_context && f.path == ".dockerignore" => {
                return (f, Ok(None));
            }
            FileSource::Context if remote_context => {
                let answer = self.read_remote_context(&f.path).await;
                return (f, answer);
            }
            FileSource::Dockerfile => (
                self.fo.dockerfile_local.clone(),
                format!("{}-{}", self.fo.dockerfile_local, f.path),
                format!("[internal] load {}", f.path),
            ),
            FileSource::Context => (
                self.fo.context_local.clone(),
                format!("{}-{}", self.fo.context_local, f.path),
                format!("[internal] load {}", f.path),
            ),
            FileSource::Local(local) => (
                local.clone(),
                format!("context:{local}-{}", f.path),
                format!("[context {local}] load {}", f.path),
            ),
            _ => return (f, Err("unsupported file source".into())),
        };
        let source = LocalSource {
            name: &local,
            session_id: self.fo.session_for(&local),
            follow_paths: vec![f.path.clone()],
            shared_key_hint: shared_key,
            custom_name: name,
            platform: &self.fo.convert.build_platform,
        }
        .marshal();
        let solved = match source {
            Ok(source) => self.bridge.solve(source.definition, &[]).await,
            Err(e) => Err(e),
        };
        let answer = match solved {
            Ok(solved) => Ok(self.bridge.read_file(&solved.id, &f.path).await.ok()),
            Err(e) => Err(format!(
                "cannot load {} from the local {local:?}: {}",
                f.path,
                e.message()
            )),
        };
        (f, answer)
    }

    /// A file of the remote build context (solved once).
    async fn read_remote_context(&self, path: &str) -> FileAnswer {
        let solved = self
            .remote_context
            .get_or_init(|| async {
                crate::remote::solve_context(self.bridge, self.fo)
                    .await
                    .map(|r| r.id)
                    .map_err(|e| e.message())
            })
            .await;
        match solved {
            Ok(reference) => Ok(self.bridge.read_file(reference, path).await.ok()),
            Err(e) => Err(e.clone()),
        }
    }
}

//! `llb_gen::convert::ImageResolver` backed by the `ResolveImageConfig` RPC.
//!
//! The converter is synchronous and runs on a blocking thread
//! (`spawn_blocking`); each round of image requests is resolved there with
//! `Handle::block_on`, all requests of the round concurrently. Answers are
//! memoised for the whole build (every platform).

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures_util::future::join_all;
use llb_gen::convert::{ImageRequest, ImageResolver, ResolveMode, ResolvedImage};
use tokio::runtime::Handle;

use crate::bridge::{pb_platform, Bridge};

type Answer = Result<ResolvedImage, String>;

pub struct GatewayResolver {
    bridge: Bridge,
    handle: Handle,
    mode: ResolveMode,
    cache: Mutex<BTreeMap<ImageRequest, Answer>>,
}

impl GatewayResolver {
    pub fn new(bridge: Bridge, handle: Handle, mode: ResolveMode) -> Self {
        GatewayResolver {
            bridge,
            handle,
            mode,
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    fn mode_for(&self, req: &ImageRequest) -> &'static str {
        if req.resolve_mode_pull {
            return "pull";
        }
        match self.mode {
            ResolveMode::Default => "default",
            ResolveMode::Pull => "pull",
            ResolveMode::Local => "local",
        }
    }

    async fn resolve_one(&self, req: ImageRequest) -> (ImageRequest, Answer) {
        let answer = self
            .bridge
            .resolve_image_config(
                &req.reference,
                pb_platform(&req.platform),
                self.mode_for(&req),
                req.log_name.as_deref(),
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
}

impl ImageResolver for GatewayResolver {
    fn resolve(&self, requests: &[ImageRequest]) -> Vec<Answer> {
        let missing: Vec<ImageRequest> = {
            let cache = match self.cache.lock() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            let mut todo: Vec<ImageRequest> = requests
                .iter()
                .filter(|r| !cache.contains_key(r))
                .cloned()
                .collect();
            todo.sort();
            todo.dedup();
            todo
        };
        if !missing.is_empty() {
            tracing::debug!(count = missing.len(), "resolving image configs");
            let answers = self
                .handle
                .block_on(join_all(missing.into_iter().map(|r| self.resolve_one(r))));
            let mut cache = match self.cache.lock() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            cache.extend(answers);
        }
        let cache = match self.cache.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        requests
            .iter()
            .map(|r| {
                cache
                    .get(r)
                    .cloned()
                    .unwrap_or_else(|| Err(format!("{}: not resolved", r.reference)))
            })
            .collect()
    }
}

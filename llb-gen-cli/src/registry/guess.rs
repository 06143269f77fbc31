//! Answers taken from the cache before the registry has spoken, confirmed before any output.
//!
//! A warm run's registry requests are one manifest GET per image (what each tag points to now),
//! and the converter used to wait for them: a round trip to a registry far away (50 ms to a
//! few hundred) against a parse of a few milliseconds before the first request. So when the
//! converter asks for an image whose prefetch is still running, and the cache holds the digest
//! the reference resolved to last time with that digest's config, that config is the answer at
//! once (a guess), and the prefetch goes on (on the runtime's own thread from then: `driver.rs`).
//!
//! Nothing is written before `confirm` has every guessed image resolved for
//! real (the prefetch's answer, or with stored credentials when the anonymous one failed) and
//! found at the guessed digest: a config is addressed by that digest, so the converter saw
//! exactly what it would have seen by waiting. Any other answer (a moved tag, an error) makes
//! the caller convert again with no guesses, and that run reports what it finds.

use std::sync::{Mutex, PoisonError};

use llb_gen::convert::{ImageRequest, ResolvedImage};

use super::{Prefetch, RegistryResolver};

/// The guesses of a run, and whether guessing is still allowed.
#[derive(Default)]
pub(super) struct Guesses(Mutex<State>);

#[derive(Default)]
struct State {
    /// Off after a failed confirmation: the second conversion waits for every answer.
    off: bool,
    made: Vec<Guess>,
}

/// One image answered from the cache, its prefetch still running.
struct Guess {
    request: ImageRequest,
    digest: String,
    prefetch: Prefetch,
}

impl RegistryResolver {
    /// The cached answer to `request` when its prefetch `early` is still running and guessing is
    /// on; else `early` back, to be awaited.
    pub(super) fn guess(
        &self,
        request: &ImageRequest,
        early: Option<Prefetch>,
    ) -> Result<ResolvedImage, Option<Prefetch>> {
        let prefetch = match early {
            Some(task) if !task.is_finished() => task,
            other => return Err(other),
        };
        let mut state = self
            .guesses
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let cached = self
            .shared
            .cache
            .as_ref()
            .filter(|_| !state.off)
            .and_then(|cache| {
                let digest = cache.last_digest(&request.reference, &request.platform)?;
                let config = cache.get(&digest, &request.platform)?;
                Some((digest, config))
            });
        // The runtime must go on answering while the converter works: on a thread of its own.
        let Some((digest, config)) = cached.filter(|_| self.driver.detach()) else {
            return Err(Some(prefetch));
        };
        state.made.push(Guess {
            request: request.clone(),
            digest: digest.clone(),
            prefetch,
        });
        Ok(ResolvedImage {
            reference: request.reference.clone(),
            digest,
            config,
        })
    }
}

impl crate::build::Online for RegistryResolver {
    fn resolver(&self) -> &dyn llb_gen::convert::ImageResolver {
        self
    }

    /// Whether every guess of the run so far was right: each guessed image resolved for real
    /// (as the converter would have had it resolved), at the digest guessed. When not, guessing
    /// is off from now on and the caller converts again.
    fn confirm(&self) -> bool {
        let made = {
            let mut state = self
                .guesses
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut state.made)
        };
        if made.is_empty() {
            return true;
        }
        let right = self.driver.block_on(async {
            let mut checks = Vec::with_capacity(made.len());
            for guess in made {
                let shared = std::sync::Arc::clone(&self.shared);
                checks.push(tokio::spawn(async move {
                    let r = guess.request;
                    let real = shared
                        .settle(Some(guess.prefetch), r.reference, &r.platform)
                        .await;
                    real.is_ok_and(|image| image.digest == guess.digest)
                }));
            }
            let mut right = true;
            for check in checks {
                right &= check.await.unwrap_or(false);
            }
            right
        });
        if !right {
            self.guesses
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .off = true;
        }
        right
    }
}

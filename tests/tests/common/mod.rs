//! What several test files share: the fixture image resolver of
//! `shared/conformance/real-world-llb/README.md`.

#![allow(dead_code)] // each test binary uses part of it

use std::collections::BTreeMap;

use llb_gen::convert::{
    FileAnswer, FileRequest, FileSource, Host, ImageAnswer, ImageRequest, ImageResolver,
    ResolvedImage,
};
use sha2::{Digest, Sha256};

/// The image config every fixture image has.
pub const FIXTURE_CONFIG: &str = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},"history":[{"created_by":"/bin/sh -c #(nop) ADD file:base in / "},{"created_by":"/bin/sh -c #(nop)  CMD [\"/bin/sh\"]","empty_layer":true}]}"#;

/// Resolves every reference to [`FIXTURE_CONFIG`], with the digest the
/// reference pins or else `sha256("fixture:" + reference)`.
pub struct Fixture;

impl ImageResolver for Fixture {
    fn resolve(&self, requests: &[ImageRequest]) -> Vec<Result<ResolvedImage, String>> {
        requests
            .iter()
            .map(|r| {
                let digest = match r.reference.split_once('@') {
                    Some((_, d)) => d.to_string(),
                    None => {
                        let h = Sha256::digest(format!("fixture:{}", r.reference).as_bytes());
                        format!("sha256:{}", hex::encode(h))
                    }
                };
                Ok(ResolvedImage {
                    reference: r.reference.clone(),
                    digest,
                    config: FIXTURE_CONFIG.as_bytes().to_vec(),
                })
            })
            .collect()
    }
}

/// The converter's host for fixtures: images from [`Fixture`], files from
/// a table (a file not in it does not exist).
#[derive(Default)]
pub struct FixtureHost {
    pub files: BTreeMap<(FileSource, String), Vec<u8>>,
}

impl FixtureHost {
    /// A host whose `local:<local>` directory has `path` with `text`.
    pub fn with_local_file(mut self, local: &str, path: &str, text: &str) -> Self {
        self.files.insert(
            (FileSource::Local(local.into()), path.into()),
            text.as_bytes().to_vec(),
        );
        self
    }

    /// The host with the file `path` of the build context.
    pub fn with_context_file(mut self, path: &str, text: &str) -> Self {
        self.files
            .insert((FileSource::Context, path.into()), text.as_bytes().to_vec());
        self
    }
}

impl Host for FixtureHost {
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer> {
        Fixture.resolve(requests)
    }
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer> {
        requests
            .iter()
            .map(|r| Ok(self.files.get(&(r.source.clone(), r.path.clone())).cloned()))
            .collect()
    }
}

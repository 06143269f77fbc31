//! The base-image lock file (`<Dockerfile>.lock`): the input is a lock
//! file's bytes. Parsing never panics; every error is located inside the
//! input and renders; a lock that parses writes the same lock back
//! (`parse(to_json(l)) == l`, and the bytes are stable); a build with it
//! beside a small Dockerfile never panics and locates its diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llb_gen::convert::{
    convert_with_host, ConvertOptions, FileAnswer, FileRequest, Host, ImageAnswer, ImageRequest,
    ImageResolver, OfflineResolver,
};
use llb_gen::limits::Limits;
use llb_gen::sources::SourceSet;

const DOCKERFILE: &[u8] = b"FROM busybox AS a\nRUN true\nFROM alpine:3.23\nCOPY --from=a / /\n";

struct WithLock<'a>(&'a [u8]);

impl Host for WithLock<'_> {
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer> {
        OfflineResolver.resolve(requests)
    }
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer> {
        let read = |r: &FileRequest| Ok((r.path == "Dockerfile.lock").then(|| self.0.to_vec()));
        requests.iter().map(read).collect()
    }
}

fuzz_target!(|data: &[u8]| {
    match llb_gen::lock::parse(data) {
        Ok(lock) => {
            let bytes = lock.to_json();
            let again = llb_gen::lock::parse(&bytes).expect("a written lock parses");
            assert_eq!(again, lock, "the lock round-trips");
            assert_eq!(again.to_json(), bytes, "stable bytes");
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let set = SourceSet::new("Dockerfile.lock", data);
            for e in &errors {
                assert!(e.span.end as usize <= data.len() && e.span.start <= e.span.end);
                let _ = set.render(&e.to_diagnostic(0));
            }
        }
    }
    let mut host = WithLock(data);
    let total = (DOCKERFILE.len() + data.len() + 2) as u32;
    if let Err(diags) =
        convert_with_host(DOCKERFILE, &ConvertOptions::default(), Limits::DEFAULT, &mut host)
    {
        for d in &diags {
            assert!(d.span.end <= total, "{d:?}");
        }
    }
});

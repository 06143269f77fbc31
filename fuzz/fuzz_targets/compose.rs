//! Composition (INCLUDE, IF / ELSE / END, variables in `--from`): the
//! input is up to eight files separated by lines `#---`: the Dockerfile,
//! then `a.Dockerfile`, `b.Dockerfile`, `c/d.Dockerfile`, `c/e.Dockerfile`,
//! `f.Dockerfile`, `g.Dockerfile`, `h.Dockerfile`, readable from the
//! Dockerfile's directory and from the build context. Conversion never
//! panics or loops, and every diagnostic is located inside one of the
//! files and renders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llb_gen::convert::{
    run_to_ready, ConvertOptions, Converter, DirAnswer, DirRequest, FileAnswer, FileRequest, Host,
    ImageAnswer, ImageRequest, ImageResolver, OfflineResolver,
};
use llb_gen::limits::Limits;

const NAMES: [&str; 7] = [
    "a.Dockerfile",
    "b.Dockerfile",
    "c/d.Dockerfile",
    "c/e.Dockerfile",
    "f.Dockerfile",
    "g.Dockerfile",
    "h.Dockerfile",
];

struct Files<'a>(Vec<(&'static str, &'a [u8])>);

impl Host for Files<'_> {
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer> {
        OfflineResolver.resolve(requests)
    }
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer> {
        let find = |r: &FileRequest| {
            let hit = self.0.iter().find(|(n, _)| *n == r.path);
            Ok(hit.map(|(_, b)| b.to_vec()))
        };
        requests.iter().map(find).collect()
    }
    fn list_dirs(&mut self, requests: &[DirRequest]) -> Vec<DirAnswer> {
        let list = |r: &DirRequest| {
            let prefix = if r.dir.is_empty() { String::new() } else { format!("{}/", r.dir) };
            Ok(self
                .0
                .iter()
                .filter_map(|(n, _)| n.strip_prefix(&prefix))
                .filter(|n| !n.contains('/'))
                .map(str::to_string)
                .collect())
        };
        requests.iter().map(list).collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = split(data);
    let main = parts.remove(0);
    let mut host = Files(NAMES.iter().copied().zip(parts).collect());
    let mut opts = ConvertOptions::default();
    opts.build_args.insert("FLAVOR".into(), "debug".into());
    let mut c = Converter::new(main, opts, Limits::DEFAULT);
    if let Err(diags) = run_to_ready(&mut c, &mut host).and_then(|r| r.marshal()) {
        let sources = c.sources();
        let end = sources.entries().last().map_or(0, |e| e.end());
        for d in &diags {
            assert!(d.span.end <= end, "diagnostic {:?} past the files: {}", d.span, d.message);
            let e = sources.entry_at(d.span.start);
            assert!(d.span.end <= e.end(), "diagnostic {:?} spans files: {}", d.span, d.message);
        }
        let _ = sources.render_all(&diags);
    }
});

/// The input cut at lines `#---`.
fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < 7 {
        match find(rest, b"\n#---\n") {
            Some(i) => {
                out.push(&rest[..=i]);
                rest = &rest[i + 6..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

//! The examples of `docs/superset.md` convert as the page says: a block
//! marked `dockerfile` converts, `dockerfile file=<path>` is a file the
//! others may include, `dockerfile error=<code>` fails with that code;
//! `json file=<path>` is a file too (the lock file beside the Dockerfile).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeMap;

use llb_gen::convert::{
    convert_with_host, ConvertOptions, DirAnswer, DirRequest, FileAnswer, FileRequest, Host,
    ImageAnswer, ImageRequest, ImageResolver, OfflineResolver,
};
use llb_gen::limits::Limits;

struct Block {
    info: String,
    text: String,
    line: usize,
}

fn blocks(page: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in page.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info))
                if info.starts_with("dockerfile") || info.starts_with("json file=") =>
            {
                open = Some(Block {
                    info: info.to_string(),
                    text: String::new(),
                    line: i + 1,
                });
            }
            (Some(_), Some("")) => out.extend(open.take()),
            (Some(b), _) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// The page's `file=` blocks, in the Dockerfile's directory.
struct Files(BTreeMap<String, String>);

impl Host for Files {
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer> {
        OfflineResolver.resolve(requests)
    }
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer> {
        let read = |r: &FileRequest| Ok(self.0.get(&r.path).map(|t| t.as_bytes().to_vec()));
        requests.iter().map(read).collect()
    }
    fn list_dirs(&mut self, requests: &[DirRequest]) -> Vec<DirAnswer> {
        let list = |r: &DirRequest| {
            let prefix = format!("{}/", r.dir);
            Ok(self
                .0
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .map(str::to_string)
                .collect())
        };
        requests.iter().map(list).collect()
    }
}

#[test]
fn every_example_of_the_superset_page_converts_as_documented() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/superset.md");
    let page = std::fs::read_to_string(path).unwrap();
    let all = blocks(&page);
    let files: BTreeMap<String, String> = all
        .iter()
        .filter_map(|b| {
            let p = (b.info.strip_prefix("dockerfile file="))
                .or_else(|| b.info.strip_prefix("json file="))?;
            Some((p.to_string(), b.text.clone()))
        })
        .collect();
    // The page's lock parses, and the examples are converted with it.
    let lock = files.get("Dockerfile.lock").expect("the page shows a lock");
    llb_gen::lock::parse(lock.as_bytes()).unwrap();
    let mut checked = 0;
    for b in all.iter().filter(|b| !b.info.contains("file=")) {
        let mut host = Files(files.clone());
        let opts = ConvertOptions::default();
        // A fragment is the body of a stage.
        let has_from = b
            .text
            .lines()
            .any(|l| l.to_ascii_uppercase().starts_with("FROM "));
        let text = match has_from {
            true => b.text.clone(),
            false => format!("FROM busybox\n{}", b.text),
        };
        let got = convert_with_host(text.as_bytes(), &opts, Limits::DEFAULT, &mut host);
        match (b.info.strip_prefix("dockerfile error="), got) {
            (None, Ok(_)) => {}
            (None, Err(d)) => panic!("docs/superset.md:{}: {d:?}", b.line),
            (Some(code), Err(d)) => assert_eq!(d[0].code.as_str(), code, "line {}", b.line),
            (Some(code), Ok(_)) => panic!("docs/superset.md:{}: expected {code}", b.line),
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} examples found");
}

//! The table host the composition and import suites share: files by
//! source and path (listings derived from them), images offline, and the
//! conversion helpers that compare a build with the same build written by
//! hand.

#![allow(dead_code)] // each suite uses a part

use std::collections::BTreeMap;

use llb_gen::convert::{
    run_to_ready, Conversion, ConvertOptions, Converter, DirAnswer, DirRequest, FileAnswer,
    FileRequest, FileSource, Host, ImageAnswer, ImageRequest, ImageResolver, OfflineResolver,
};
use llb_gen::limits::Limits;

/// Files by source and path; listings are derived from them.
#[derive(Default)]
pub struct Table {
    pub files: BTreeMap<(FileSource, String), String>,
    /// The paths of each round of file requests.
    pub rounds: Vec<Vec<String>>,
}

impl Table {
    pub fn with(mut self, source: FileSource, path: &str, text: &str) -> Self {
        self.files
            .insert((source, path.to_string()), text.to_string());
        self
    }
    pub fn df(self, path: &str, text: &str) -> Self {
        self.with(FileSource::Dockerfile, path, text)
    }
    /// The rounds that asked for Dockerfiles (not `.dockerignore`).
    pub fn import_rounds(&self) -> Vec<Vec<String>> {
        self.rounds
            .iter()
            .map(|r| {
                let r: Vec<String> = r
                    .iter()
                    .filter(|p| !p.ends_with(".dockerignore") && !p.ends_with(".lock"))
                    .cloned()
                    .collect();
                r
            })
            .filter(|r| !r.is_empty())
            .collect()
    }
}

impl Host for Table {
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer> {
        OfflineResolver.resolve(requests)
    }
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer> {
        self.rounds
            .push(requests.iter().map(|r| r.path.clone()).collect());
        requests
            .iter()
            .map(|r| {
                Ok(self
                    .files
                    .get(&(r.source.clone(), r.path.clone()))
                    .map(|t| t.as_bytes().to_vec()))
            })
            .collect()
    }
    fn list_dirs(&mut self, requests: &[DirRequest]) -> Vec<DirAnswer> {
        requests
            .iter()
            .map(|d| {
                let prefix = if d.dir.is_empty() {
                    String::new()
                } else {
                    format!("{}/", d.dir)
                };
                Ok(self
                    .files
                    .keys()
                    .filter(|(s, _)| *s == d.source)
                    .filter_map(|(_, p)| p.strip_prefix(&prefix))
                    .filter(|rest| !rest.contains('/'))
                    .map(str::to_string)
                    .collect())
            })
            .collect()
    }
}

pub fn convert(text: &str, opts: &ConvertOptions, host: &mut Table) -> Result<Conversion, String> {
    let mut c = Converter::new(text.as_bytes(), opts.clone(), Limits::DEFAULT);
    match run_to_ready(&mut c, host) {
        Ok(ready) => ready.marshal().map_err(|d| c.sources().render_all(&d)),
        Err(d) => Err(c.sources().render_all(&d)),
    }
}

pub fn ok(text: &str, opts: &ConvertOptions, host: &mut Table) -> Conversion {
    convert(text, opts, host).unwrap_or_else(|e| panic!("{e}"))
}

pub fn err(text: &str, opts: &ConvertOptions, host: &mut Table) -> String {
    match convert(text, opts, host) {
        Ok(_) => panic!("converted; expected an error"),
        Err(e) => e,
    }
}

/// The ops of a Definition (progress names and source maps are metadata,
/// not ops: they name the files).
pub fn ops(c: &Conversion) -> Vec<Vec<u8>> {
    c.definition.def.clone()
}

pub fn same_as(text: &str, hand_written: &str, opts: &ConvertOptions, host: &mut Table) {
    let imported = ok(text, opts, host);
    let plain = ok(hand_written, opts, &mut Table::default());
    assert_eq!(ops(&imported), ops(&plain), "LLB differs");
    assert_eq!(imported.image_config, plain.image_config, "config differs");
}

//! Every example under `examples/` converts (offline) and its LLB dump is
//! snapshotted; the multi-stage example once per target. One test per
//! example and target (`convert::NAME`, `convert::NAME@TARGET`).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::PathBuf;

use llb_gen::convert::{
    convert_dockerfile, convert_with_host, ConvertOptions, DirAnswer, DirRequest, FileAnswer,
    FileRequest, FileSource, Host, ImageAnswer, ImageRequest, ImageResolver, OfflineResolver,
};
use llb_gen::diagnostic::{render_all, SourceFile};
use llb_gen::limits::Limits;
use testkit::Trial;

/// (example, targets; `None` = the default target).
const EXAMPLES: &[(&str, &[Option<&str>])] = &[
    ("hello", &[None]),
    ("python", &[None, Some("pip")]),
    ("node", &[None, Some("npm")]),
    ("go", &[None]),
    ("apt", &[None]),
    ("secret", &[None]),
    ("ssh", &[None]),
    ("bake", &[None]),
    (
        "multistage",
        &[
            None,
            Some("base"),
            Some("development"),
            Some("test"),
            Some("build"),
            Some("production"),
        ],
    ),
];

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn convert(name: &str, target: Option<&str>) -> String {
    let path = examples_dir().join(name).join("Dockerfile");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut opts = ConvertOptions::default();
    opts.filename = format!("examples/{name}/Dockerfile");
    opts.target = target.map(str::to_string);
    match convert_dockerfile(&text, &opts, &OfflineResolver) {
        Ok(c) => {
            let config = String::from_utf8(c.image_config).unwrap();
            format!(
                "{}\n--- image config ---\n{config}\n",
                llb_gen::llb::dump(&c.definition)
            )
        }
        Err(d) => panic!(
            "{name} ({target:?}) failed:\n{}",
            render_all(&d, &SourceFile::new(opts.filename.clone(), text))
        ),
    }
}

/// Projects with several Dockerfiles (superset: files included from the
/// build context): (example, Dockerfiles relative to it, build args).
type Project = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);
const PROJECTS: &[Project] = &[
    // Converted with its committed `Dockerfile.lock`: pinned, with the
    // locked config.
    ("lock", "Dockerfile", &[]),
    ("superset", "api/Dockerfile", &[]),
    ("superset", "worker/Dockerfile", &[("FLAVOR", "debug")]),
];

/// Answers file requests from an example's directories: the Dockerfile's
/// own directory and the example's root as the build context.
struct ExampleHost {
    dockerfile_dir: PathBuf,
    context: PathBuf,
}

impl ExampleHost {
    fn dir(&self, source: &FileSource) -> &PathBuf {
        match source {
            FileSource::Context => &self.context,
            _ => &self.dockerfile_dir,
        }
    }
}

impl Host for ExampleHost {
    fn resolve_images(&mut self, requests: &[ImageRequest]) -> Vec<ImageAnswer> {
        OfflineResolver.resolve(requests)
    }
    fn read_files(&mut self, requests: &[FileRequest]) -> Vec<FileAnswer> {
        let read = |r: &FileRequest| Ok(std::fs::read(self.dir(&r.source).join(&r.path)).ok());
        requests.iter().map(read).collect()
    }
    fn list_dirs(&mut self, requests: &[DirRequest]) -> Vec<DirAnswer> {
        let list = |r: &DirRequest| {
            let dir = self.dir(&r.source).join(&r.dir);
            let names = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
            Ok(names
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect())
        };
        requests.iter().map(list).collect()
    }
}

fn convert_project(name: &str, dockerfile: &str, args: &[(&str, &str)]) -> String {
    let root = examples_dir().join(name);
    let path = root.join(dockerfile);
    let text = std::fs::read(&path).unwrap();
    let mut opts = ConvertOptions::default();
    for (k, v) in args {
        opts.build_args.insert(k.to_string(), v.to_string());
    }
    let mut host = ExampleHost {
        dockerfile_dir: path.parent().unwrap().to_path_buf(),
        context: root,
    };
    match convert_with_host(&text, &opts, Limits::DEFAULT, &mut host) {
        Ok(c) => {
            let config = String::from_utf8(c.image_config).unwrap();
            format!(
                "{}\n--- image config ---\n{config}\n",
                llb_gen::llb::dump(&c.definition)
            )
        }
        Err(d) => panic!("{name}/{dockerfile} failed:\n{d:?}"),
    }
}

fn every_example_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("Dockerfile").is_file())
        .filter(|e| !PROJECTS.iter().any(|(p, _, _)| e.file_name() == *p))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = EXAMPLES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    for (name, _) in EXAMPLES {
        assert!(
            examples_dir().join(name).join("README.md").is_file(),
            "{name}"
        );
    }
}

fn main() {
    let mut trials = vec![Trial::test("every_example_is_listed", || {
        every_example_is_listed();
        Ok(())
    })];
    for (name, targets) in EXAMPLES {
        for target in *targets {
            let snap = match target {
                Some(t) => format!("{name}@{t}"),
                None => name.to_string(),
            };
            trials.push(Trial::test(format!("convert::{snap}"), move || {
                insta::assert_snapshot!(snap, convert(name, *target));
                Ok(())
            }));
        }
    }
    for (name, dockerfile, args) in PROJECTS {
        let snap = format!("{name}@{}", dockerfile.replace('/', "-"));
        trials.push(Trial::test(format!("convert::{snap}"), move || {
            insta::assert_snapshot!(snap, convert_project(name, dockerfile, args));
            Ok(())
        }));
    }
    testkit::run(trials)
}

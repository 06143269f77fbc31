//! Every example under `examples/` converts (offline) and its LLB dump is
//! snapshotted; the multi-stage example once per target. One test per
//! example and target (`convert::NAME`, `convert::NAME@TARGET`).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::PathBuf;

use llb_gen::convert::{convert_dockerfile, ConvertOptions, OfflineResolver};
use llb_gen::diagnostic::{render_all, SourceFile};
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

fn every_example_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("Dockerfile").is_file())
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
    testkit::run(trials)
}

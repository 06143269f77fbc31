//! A two-platform build exported as an OCI layout (`-o type=oci`): one index with a manifest
//! per platform, each with its own config naming its platform, and the cross-build pattern's
//! files (RUN on the build platform, `FROM --platform=$BUILDPLATFORM`, copied onto scratch for
//! the target platform). The progress names carry the platform (`[linux/amd64->arm64 ...]`).
//! Current engine only: Docker 20.10's docker driver cannot export several platforms.

use super::*;

const CROSS: &str = "FROM --platform=$BUILDPLATFORM {{BASE}} AS build\n\
                     ARG TARGETARCH\n\
                     RUN echo \"built for $TARGETARCH\" > /arch\n\
                     FROM scratch\n\
                     COPY --from=build /arch /arch\n";

/// A blob of the layout by digest, as JSON.
fn blob(layout: &Path, digest: &str) -> Value {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::from_str(&read(layout, &format!("blobs/sha256/{hex}"))).unwrap()
}

pub(super) fn two_platforms_export_an_index_with_a_config_each(env: &Env) {
    let ctx = Ctx::new(env, "two-platforms", CROSS);
    let tar = ctx.scratch("oci").join("image.tar");
    let out = env.build(
        &ctx,
        &[
            "--platform",
            "linux/amd64,linux/arm64",
            "-o",
            &format!("type=oci,dest={}", tar.display()),
        ],
    );
    let layout = ctx.scratch("layout");
    let untar = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&layout)
        .output()
        .expect("run tar");
    assert!(untar.status.success(), "{}", text(&untar));
    let index: Value = serde_json::from_str(&read(&layout, "index.json")).unwrap();
    let list = blob(&layout, index["manifests"][0]["digest"].as_str().unwrap());
    let mut seen = Vec::new();
    for m in list["manifests"].as_array().unwrap() {
        // Attestation manifests (unknown/unknown) are not images.
        let arch = m["platform"]["architecture"].as_str().unwrap_or_default();
        if arch == "unknown" {
            continue;
        }
        let manifest = blob(&layout, m["digest"].as_str().unwrap());
        let config = blob(&layout, manifest["config"]["digest"].as_str().unwrap());
        assert_eq!(config["architecture"], arch, "{config}");
        assert_eq!(config["os"], "linux");
        seen.push(arch.to_string());
    }
    seen.sort();
    assert_eq!(seen, ["amd64", "arm64"]);
    if !env.builtin() {
        let log = text(&out);
        assert!(log.contains("[linux/amd64->arm64 build 2/2] RUN"), "{log}");
        assert!(
            log.contains("[linux/arm64 stage-1 1/1] COPY --from=build"),
            "{log}"
        );
    }
}

cases_on!(
    current_only,
    Engine::Current,
    [two_platforms_export_an_index_with_a_config_each]
);

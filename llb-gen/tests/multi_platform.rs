//! Progress names of a multi-platform build (upstream `prefixCommand`): the
//! platform first, and `->arch` when a stage runs on the build platform for
//! another target platform (the `FROM --platform=$BUILDPLATFORM` pattern).

#![allow(clippy::unwrap_used)]

use llb_gen::convert::{convert_dockerfile, ConvertOptions, OfflineResolver, Platform};

const CROSS: &str = "FROM --platform=$BUILDPLATFORM busybox AS build\n\
                     ARG TARGETARCH\n\
                     RUN echo $TARGETARCH > /arch\n\
                     FROM scratch\n\
                     COPY --from=build /arch /arch\n";

fn names(text: &str, multi: bool, target: &str) -> Vec<String> {
    let mut opts = ConvertOptions::default();
    opts.multi_platform = multi;
    opts.target_platform = Some(Platform {
        architecture: target.into(),
        ..Platform::linux_amd64()
    });
    let conv = convert_dockerfile(text, &opts, &OfflineResolver).unwrap();
    let mut names: Vec<String> = conv
        .definition
        .metadata
        .values()
        .filter_map(|m| m.description.get("llb.customname").cloned())
        .collect();
    names.sort();
    names
}

#[test]
fn multi_platform_names_carry_the_platform_and_the_cross_target() {
    assert_eq!(
        names(CROSS, true, "arm64"),
        [
            "[linux/amd64 build 1/2] FROM docker.io/library/busybox:latest",
            "[linux/amd64->arm64 build 2/2] RUN echo arm64 > /arch",
            "[linux/arm64 stage-1 1/1] COPY --from=build /arch /arch",
        ]
    );
    // The build platform's own target: no arrow.
    assert!(names(CROSS, true, "amd64")
        .contains(&"[linux/amd64 build 2/2] RUN echo amd64 > /arch".to_string()));
}

#[test]
fn single_platform_names_are_unchanged() {
    assert_eq!(
        names(CROSS, false, "arm64"),
        [
            "[build 1/2] FROM docker.io/library/busybox:latest",
            "[build 2/2] RUN echo arm64 > /arch",
            "[stage-1 1/1] COPY --from=build /arch /arch",
        ]
    );
}

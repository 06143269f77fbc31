//! End-to-end cases: the image config instructions and ONBUILD.
//! Listed for the engines at the end of `e2e.rs`, with the harness they use.

use super::*;

pub(crate) fn image_config_instructions(env: &Env) {
    let ctx = Ctx::new(
        env,
        "config",
        r#"FROM {{BASE}}
ENV APP_HOME=/srv/app PLAIN=value
ENV SPACED="a b"
LABEL org.example.name="e2e" org.example.multi="one two"
WORKDIR ${APP_HOME}
RUN echo "$(pwd)" > /workdir.txt
EXPOSE 8080 9090/udp
VOLUME ["/data"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=2s --retries=4 CMD test -f /workdir.txt
SHELL ["/bin/sh", "-e", "-c"]
RUN echo "shell is $0" > /shell.txt
USER app:app
ENTRYPOINT ["/bin/echo", "entry"]
CMD ["default", "args"]
"#,
    );
    let tag = env.tag("e2e-config");
    let tag = tag.as_str();
    env.build(&ctx, &["-t", tag]);
    let img = env.inspect(tag);
    let c = &img["Config"];
    let envs: Vec<&str> = c["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(envs.contains(&"APP_HOME=/srv/app"), "{envs:?}");
    assert!(envs.contains(&"PLAIN=value"), "{envs:?}");
    assert!(envs.contains(&"SPACED=a b"), "{envs:?}");
    assert!(
        envs.iter().any(|e| e.starts_with("PATH=")),
        "PATH kept from base: {envs:?}"
    );
    assert_eq!(c["Labels"]["org.example.name"], "e2e");
    assert_eq!(c["Labels"]["org.example.multi"], "one two");
    assert_eq!(c["WorkingDir"], "/srv/app");
    assert_eq!(c["User"], "app:app");
    assert!(
        c["ExposedPorts"].get("8080/tcp").is_some(),
        "{}",
        c["ExposedPorts"]
    );
    assert!(
        c["ExposedPorts"].get("9090/udp").is_some(),
        "{}",
        c["ExposedPorts"]
    );
    assert!(c["Volumes"].get("/data").is_some(), "{}", c["Volumes"]);
    assert_eq!(c["StopSignal"], "SIGINT");
    let hc = &c["Healthcheck"];
    assert_eq!(
        hc["Test"],
        serde_json::json!(["CMD-SHELL", "test -f /workdir.txt"])
    );
    assert_eq!(hc["Interval"], 30_000_000_000u64);
    assert_eq!(hc["Timeout"], 5_000_000_000u64);
    assert_eq!(hc["StartPeriod"], 2_000_000_000u64);
    assert_eq!(hc["Retries"], 4);
    assert_eq!(c["Shell"], serde_json::json!(["/bin/sh", "-e", "-c"]));
    assert_eq!(c["Entrypoint"], serde_json::json!(["/bin/echo", "entry"]));
    assert_eq!(c["Cmd"], serde_json::json!(["default", "args"]));

    // History: one entry per instruction, RUNs as the shell sees them.
    let hist = env.history(tag);
    let joined = hist.join("\n");
    assert!(joined.contains("EXPOSE"), "{joined}");
    assert!(joined.contains("STOPSIGNAL"), "{joined}");
    assert!(
        joined.contains("/bin/sh -e -c echo \"shell is $0\""),
        "{joined}"
    );
    assert!(joined.contains("WORKDIR /srv/app"), "{joined}");

    // The image runs with that config.
    let r = env.run(["run", "--rm", "--network", "none", tag]);
    assert!(r.status.success(), "{}", text(&r));
    assert_eq!(String::from_utf8_lossy(&r.stdout), "entry default args\n");
    let r = env.run([
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "cat",
        tag,
        "/workdir.txt",
        "/shell.txt",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        "/srv/app\nshell is /bin/sh\n"
    );
}

pub(crate) fn onbuild_triggers_run_in_child_build(env: &Env) {
    let registry = env
        .registry
        .clone()
        .unwrap_or_else(|| "localhost:5000".into());
    let parent_tag = format!("{registry}/e2e-onbuild:parent-{}", env.engine.tag());
    let parent = Ctx::new(
        env,
        "onbuild-parent",
        r#"FROM {{BASE}}
ONBUILD COPY trigger.txt /from-trigger.txt
ONBUILD RUN echo "onbuild ran" > /onbuild.txt
RUN echo parent > /parent.txt
"#,
    );
    env.build(&parent, &["-t", &parent_tag]);
    let img = env.inspect(&parent_tag);
    let onbuild = img["Config"]["OnBuild"].as_array().unwrap();
    assert_eq!(onbuild.len(), 2, "{onbuild:?}");
    // The parent itself must not run its triggers.
    let out = env.build_local(&parent, &[]);
    assert!(!out.join("onbuild.txt").exists());
    let r = env.run(["push", &parent_tag]);
    assert!(r.status.success(), "push {parent_tag}: {}", text(&r));

    let child = Ctx::new(
        env,
        "onbuild-child",
        &format!("FROM {parent_tag}\nRUN cat /onbuild.txt /from-trigger.txt > /child.txt\n"),
    );
    child.write("trigger.txt", "trigger file\n");
    let out = env.build_local(&child, &[]);
    assert_eq!(read(&out, "child.txt"), "onbuild ran\ntrigger file\n");
}

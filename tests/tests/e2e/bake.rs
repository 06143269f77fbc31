//! `docker buildx bake` of `examples/bake` on the current engine: `--print` shows the bake file
//! as buildx reads it (variables from the environment, `_common` inherited, the default group,
//! the matrix expanded, `target:` contexts), and the build itself gives every target for both
//! platforms through our frontend (`# syntax=` for `base` and `app`, the BUILDKIT_SYNTAX build
//! arg for the `tool-*` matrix), `target:base` arriving as a frontend input (`input:`).
//! Current engine only: BuildKit v0.8 has no frontend inputs for `target:` contexts (buildx
//! refuses named contexts there).

use super::*;
use crate::e2e_engine_examples::copy_dir;

/// The example in a scratch directory, its `# syntax=` lines naming the image under test.
fn example(env: &Env, frontend: &str) -> Ctx {
    let ctx = Ctx::new(env, "bake", "");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    copy_dir(&repo.join("examples/bake"), &ctx.dir);
    for name in ["Dockerfile", "base.Dockerfile", "tools.Dockerfile"] {
        let path = ctx.dir.join(name);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replace("localhost:5000/frontend:dev", frontend)).unwrap();
    }
    ctx
}

fn bake(env: &Env, ctx: &Ctx, frontend: &str, args: &[&str]) -> Output {
    let builder = env.builder.as_deref().unwrap_or("default");
    env.docker()
        .current_dir(&ctx.dir)
        .env("FRONTEND", frontend)
        .env("BASE", &env.base)
        .args(["buildx", "bake", "--builder", builder, "--progress=plain"])
        .args(args)
        .output()
        .expect("run docker buildx bake")
}

pub(super) fn bake_example_prints_and_builds(env: &Env) {
    let Some(frontend) = env.frontend.clone() else {
        skip("(E2E_SYNTAX=builtin): the bake example names our frontend");
        return;
    };
    let ctx = example(env, &frontend);

    let r = bake(env, &ctx, &frontend, &["--print"]);
    assert!(r.status.success(), "{}", text(&r));
    let printed: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(
        printed["group"]["default"]["targets"],
        serde_json::json!(["app", "tools"])
    );
    assert_eq!(
        printed["group"]["tools"]["targets"],
        serde_json::json!(["tool-lint", "tool-fmt"])
    );
    let targets = printed["target"].as_object().unwrap();
    assert!(!targets.contains_key("_common"), "{targets:?}");
    for name in ["app", "tool-lint", "tool-fmt"] {
        let t = &targets[name];
        assert_eq!(t["contexts"]["base"], "target:base", "{name}");
        assert_eq!(
            t["args"]["BASE"],
            env.base.as_str(),
            "{name}: BASE from the environment"
        );
        assert_eq!(
            t["platforms"],
            serde_json::json!(["linux/amd64", "linux/arm64"]),
            "{name}: inherited from _common"
        );
    }
    assert_eq!(targets["tool-lint"]["args"]["TOOL"], "lint");
    assert_eq!(
        targets["tool-fmt"]["args"]["BUILDKIT_SYNTAX"],
        frontend.as_str()
    );

    let out = ctx.scratch("out");
    let dest = |t: &str| format!("{t}.output=type=local,dest={}", out.join(t).display());
    let sets = [dest("app"), dest("tool-lint"), dest("tool-fmt")];
    // buildx asks for an entitlement to write outside the bake file's directory.
    let allow = format!("--allow=fs.write={}", out.display());
    let mut args = vec![allow.as_str()];
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let r = bake(env, &ctx, &frontend, &args);
    assert!(r.status.success(), "{}{}", text(&r), env.daemon_log_tail());
    let log = text(&r);
    assert!(
        log.contains(&format!("resolve image config for {frontend}")) || log.contains(&frontend),
        "{log}"
    );
    for (arch, platform) in [("amd64", "linux/amd64"), ("arm64", "linux/arm64")] {
        let app = out.join("app").join(format!("linux_{arch}"));
        assert_eq!(read(&app, "app/greeting"), "hello from bake\n");
        assert_eq!(read(&app, "app/arch"), format!("{arch}\n"));
        assert_eq!(
            read(&app, "etc/base-info"),
            format!("base for {platform}\n")
        );
        for tool in ["lint", "fmt"] {
            let dir = out
                .join(format!("tool-{tool}"))
                .join(format!("linux_{arch}"));
            assert_eq!(
                read(&dir, &format!("tools/{tool}")),
                format!("{tool} for {arch}\n")
            );
            assert_eq!(
                read(&dir, "etc/base-info"),
                format!("base for {platform}\n")
            );
        }
    }
}

cases_on!(
    current_only,
    Engine::Current,
    [bake_example_prints_and_builds]
);

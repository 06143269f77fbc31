//! End-to-end cases: `RUN --mount`: cache, secret, ssh, bind and tmpfs.
//! Listed for the engines at the end of `e2e.rs`, with the harness they use.

use super::*;

pub(crate) fn cache_mounts_persist_and_are_shared_by_id(env: &Env) {
    let id = format!("e2e-cache-{}", nonce());
    let df = format!(
        r#"FROM {{{{BASE}}}}
ARG RUN_NO
RUN --mount=type=cache,id={id},target=/cache \
    echo "run $RUN_NO" >> /cache/log && cp /cache/log /log
"#
    );
    let ctx = Ctx::new(env, "cache", &df);
    let out = env.build_local(&ctx, &["--build-arg", "RUN_NO=1"]);
    assert_eq!(read(&out, "log"), "run 1\n");
    let out = env.build_local(&ctx, &["--build-arg", "RUN_NO=2"]);
    assert_eq!(
        read(&out, "log"),
        "run 1\nrun 2\n",
        "cache mount content persists"
    );

    // Another Dockerfile, another target path, same id: same cache.
    let df2 = format!(
        r#"FROM {{{{BASE}}}}
ARG RUN_NO
RUN --mount=type=cache,id={id},target=/elsewhere/c \
    echo "other $RUN_NO" >> /elsewhere/c/log && cp /elsewhere/c/log /log
"#
    );
    let ctx2 = Ctx::new(env, "cache2", &df2);
    let out = env.build_local(&ctx2, &["--build-arg", "RUN_NO=3"]);
    assert_eq!(read(&out, "log"), "run 1\nrun 2\nother 3\n", "shared by id");

    // A cache mount never ends up in the result.
    assert!(!out.join("cache").join("log").exists());
}

pub(crate) fn secret_mount_is_readable_and_in_no_layer(env: &Env) {
    let secret = format!("s3cr3t-{}", nonce());
    // A secret is not part of the cache key: the nonce in ENV keeps the RUNs from reusing
    // an earlier build's results (another engine's on the same daemon, or another run's),
    // which hold another secret's size.
    let df = format!(
        r#"FROM {{{{BASE}}}}
ENV E2E_NONCE={}
RUN --mount=type=secret,id=mysecret \
    test -f /run/secrets/mysecret && wc -c < /run/secrets/mysecret > /secret-size
RUN --mount=type=secret,id=mysecret,target=/custom/path,required=true \
    cat /custom/path | grep -q '^s3cr3t-' && echo ok > /secret-ok
RUN --mount=type=secret,id=missing echo "optional secret absent is fine" > /optional-ok
"#,
        nonce()
    );
    let ctx = Ctx::new(env, "secret", &df);
    let src = ctx.scratch("secret").join("secret.txt");
    fs::write(&src, &secret).unwrap();
    let secret_arg = format!("id=mysecret,src={}", src.display());
    let tag = env.tag("e2e-secret");
    let tag = tag.as_str();
    env.build(&ctx, &["--secret", &secret_arg, "-t", tag]);

    let out = env.build_local(&ctx, &["--secret", &secret_arg]);
    assert_eq!(read(&out, "secret-size").trim(), secret.len().to_string());
    assert_eq!(read(&out, "secret-ok"), "ok\n");
    assert!(out.join("optional-ok").exists());
    assert!(
        !out.join("run/secrets/mysecret").exists(),
        "secret file left in the result"
    );
    assert!(
        !out.join("custom/path").exists(),
        "secret target left in the result"
    );

    // `docker save` holds every layer (uncompressed tars) and the config: no secret anywhere.
    let save = ctx.scratch("save").join("image.tar");
    let r = env.run(["save", "-o", save.to_str().unwrap(), tag]);
    assert!(r.status.success(), "{}", text(&r));
    let bytes = fs::read(&save).unwrap();
    assert!(bytes.len() > 1000);
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret value appears in `docker save` output"
    );

    // A required secret that is not provided fails the build.
    let ctx2 = Ctx::new(
        env,
        "secret-req",
        "FROM {{BASE}}\nRUN --mount=type=secret,id=absent,required=true cat /run/secrets/absent\n",
    );
    let r = env.build_raw(&ctx2, &[]);
    assert!(!r.status.success(), "missing required secret must fail");
}

/// A real ssh-agent on a unix socket, stopped (by its PID) on drop.
struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let sock = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent (Debian package openssh-client)");
        let agent = Agent { child, sock };
        let t = Instant::now();
        while !agent.sock.exists() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "ssh-agent did not create its socket"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn ssh_mount_forwards_the_agent_socket(env: &Env) {
    let ctx = Ctx::new(
        env,
        "ssh",
        r#"FROM {{BASE}}
RUN --mount=type=ssh \
    test -n "$SSH_AUTH_SOCK" && test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /default-sock
RUN --mount=type=ssh,id=default,target=/tmp/agent.sock \
    test -S /tmp/agent.sock && test "$SSH_AUTH_SOCK" = /tmp/agent.sock && echo ok > /custom-ok
"#,
    );
    let agent = Agent::start(&ctx.scratch("agent"));
    let dest = ctx.scratch("out");
    let o = format!("type=local,dest={}", dest.display());
    let out = env
        .build_command(&ctx, &["--ssh", "default", "-o", &o])
        .env("SSH_AUTH_SOCK", &agent.sock)
        .output()
        .unwrap();
    drop(agent);
    assert!(out.status.success(), "ssh build failed:\n{}", text(&out));
    assert_eq!(read(&dest, "default-sock"), "/run/buildkit/ssh_agent.0\n");
    assert_eq!(read(&dest, "custom-ok"), "ok\n");
}

pub(crate) fn bind_and_tmpfs_mounts(env: &Env) {
    let ctx = Ctx::new(
        env,
        "bind",
        r#"FROM {{BASE}} AS data
RUN mkdir -p /data && echo from-stage > /data/f

FROM {{BASE}}
RUN --mount=type=bind,from=data,source=/data,target=/mnt/data \
    cat /mnt/data/f > /from-stage
RUN --mount=type=bind,target=/mnt/ctx \
    cat /mnt/ctx/input.txt > /from-context
RUN --mount=type=bind,source=sub,target=/mnt/sub,rw \
    echo scribble > /mnt/sub/new && cat /mnt/sub/s.txt > /from-sub
RUN --mount=type=tmpfs,target=/scratch \
    grep -q ' /scratch tmpfs ' /proc/mounts && echo tmp > /scratch/t && echo tmpfs-ok > /tmpfs-ok
"#,
    );
    ctx.write("input.txt", "context file\n");
    ctx.write("sub/s.txt", "sub file\n");
    let out = env.build_local(&ctx, &[]);
    assert_eq!(read(&out, "from-stage"), "from-stage\n");
    assert_eq!(read(&out, "from-context"), "context file\n");
    assert_eq!(read(&out, "from-sub"), "sub file\n");
    assert_eq!(read(&out, "tmpfs-ok"), "tmpfs-ok\n");
    assert!(
        !out.join("mnt/data/f").exists(),
        "bind mount content leaked"
    );
    assert!(!out.join("scratch/t").exists(), "tmpfs content leaked");
    assert!(
        !ctx.dir.join("sub/new").exists(),
        "rw bind must not write back to the context"
    );
}

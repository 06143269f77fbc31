//! Secret and ssh hygiene of the converter.
//!
//! The frontend never sees a secret's content (BuildKit's session serves it
//! to the container at run time), so what could leak is what the Dockerfile
//! names: secret ids, `env=` names, ssh sockets. This checks that they
//! reach the LLB only as mount/secret-env references, never as env values,
//! files in a layer, or in the image config. The real secret content in
//! the built image is checked by the e2e suite (`docker save`, tests/tests/e2e.rs).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeMap;

use llb_gen::convert::{convert_dockerfile, Conversion, ConvertOptions, OfflineResolver};
use llb_gen::pb;
use prost::Message;

const DOCKERFILE: &str = r#"FROM busybox
ARG VERSION
LABEL org.example.version=$VERSION
RUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc > /dev/null
RUN --mount=type=secret,id=aws,target=/root/.aws/credentials,required=true,mode=0440,uid=1000 \
    test -s /root/.aws/credentials
RUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN test -n "$GITHUB_TOKEN"
RUN --mount=type=ssh git ls-remote git@example.invalid:x.git
RUN --mount=type=ssh,id=deploy,required=true ssh -T git@example.invalid || true
"#;

const SECRET_IDS: [&str; 3] = ["npmrc", "aws", "github_token"];

fn convert() -> Conversion {
    let mut opts = ConvertOptions::default();
    opts.build_args = BTreeMap::from([("VERSION".into(), "1.2.3-public".into())]);
    opts.labels = BTreeMap::from([("org.example.team".into(), "platform".into())]);
    match convert_dockerfile(DOCKERFILE, &opts, &OfflineResolver) {
        Ok(c) => c,
        Err(e) => panic!("{e:#?}"),
    }
}

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(&b[..]).unwrap())
        .collect()
}

fn execs(def: &pb::Definition) -> Vec<pb::ExecOp> {
    ops(def)
        .into_iter()
        .filter_map(|op| match op.op {
            Some(pb::op::Op::Exec(e)) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn secret_ids_are_only_mount_references() {
    let conv = convert();
    let execs = execs(&conv.definition);
    let mut seen = Vec::new();
    for e in &execs {
        for m in &e.mounts {
            if m.mount_type == pb::MountType::Secret as i32 {
                let s = m.secret_opt.as_ref().unwrap();
                seen.push((s.id.clone(), m.dest.clone()));
                // A secret mount has no input; BuildKit makes no output
                // of secret mounts (the `output` field stays 0 as upstream
                // leaves it), so nothing of it ends up in a layer.
                assert_eq!(m.input, -1, "{m:?}");
            }
        }
        for s in &e.secretenv {
            seen.push((s.id.clone(), format!("env:{}", s.name)));
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            ("aws".to_string(), "/root/.aws/credentials".to_string()),
            ("github_token".to_string(), "env:GITHUB_TOKEN".to_string()),
            ("npmrc".to_string(), "/run/secrets/npmrc".to_string()),
        ]
    );
    // No file op writes a secret path into a layer.
    for op in ops(&conv.definition) {
        if let Some(pb::op::Op::File(f)) = op.op {
            let text = format!("{f:?}");
            assert!(!text.contains("/run/secrets"), "{text}");
            assert!(!text.contains(".aws/credentials"), "{text}");
        }
    }
}

#[test]
fn secret_env_is_never_a_plain_env_value() {
    let conv = convert();
    for e in execs(&conv.definition) {
        let env = &e.meta.as_ref().unwrap().env;
        assert!(
            !env.iter().any(|kv| kv.starts_with("GITHUB_TOKEN=")),
            "secret env leaked into the process env: {env:?}"
        );
    }
    let config = String::from_utf8(conv.image_config.clone()).unwrap();
    assert!(!config.contains("GITHUB_TOKEN="), "{config}");
}

#[test]
fn image_config_carries_public_values_but_no_secret_ids() {
    let conv = convert();
    let config: serde_json::Value = serde_json::from_slice(&conv.image_config).unwrap();
    let labels = &config["config"]["Labels"];
    assert_eq!(labels["org.example.version"], "1.2.3-public");
    assert_eq!(labels["org.example.team"], "platform");
    let env = config["config"]["Env"].to_string();
    for id in SECRET_IDS {
        assert!(!env.contains(id), "{env}");
    }
    assert!(!env.contains("SSH_AUTH_SOCK"), "{env}");
    // History records the commands (as upstream), never a mount's
    // options or a secret value.
    let history = config["history"].to_string();
    assert!(!history.contains("type=secret"), "{history}");
    assert!(!history.contains("type=ssh"), "{history}");
}

#[test]
fn ssh_sockets_are_mounts_never_files() {
    let conv = convert();
    let mut ssh = Vec::new();
    for e in execs(&conv.definition) {
        for m in &e.mounts {
            if m.mount_type == pb::MountType::Ssh as i32 {
                let o = m.ssh_opt.as_ref().unwrap();
                assert_eq!(m.input, -1, "{m:?}");
                ssh.push((o.id.clone(), m.dest.clone(), o.optional));
                // The agent socket reaches the process through its env only.
                let env = &e.meta.as_ref().unwrap().env;
                assert!(
                    env.contains(&format!("SSH_AUTH_SOCK={}", m.dest)),
                    "{env:?}"
                );
            }
        }
    }
    assert_eq!(
        ssh,
        [
            (
                // No id: the daemon uses its default agent (as upstream).
                String::new(),
                "/run/buildkit/ssh_agent.0".to_string(),
                true
            ),
            (
                "deploy".to_string(),
                "/run/buildkit/ssh_agent.0".to_string(),
                false
            ),
        ]
    );
    for op in ops(&conv.definition) {
        if let Some(pb::op::Op::File(f)) = op.op {
            let text = format!("{f:?}");
            assert!(!text.contains("ssh_agent"), "{text}");
        }
    }
}

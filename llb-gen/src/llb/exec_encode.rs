//! An exec op's `ExecOp` encoded straight from its [`ExecData`], without building a
//! `pb::ExecOp`: the command's arguments, the `KEY=value` env entries and the other strings
//! are written from where they are held instead of cloned into a message, encoded and
//! dropped. The bytes are prost's (fields in tag order, empty strings and false bools left
//! out, every element of a repeated field written); the snapshot and conformance suites hold
//! them to Go's, and a test to the `pb::ExecOp` the op would make.

use prost::encoding::{
    encode_key, encode_varint, encoded_len_varint, int32, key_len, message, WireType,
};

use super::exec::ExecData;
use super::meta::{entry, str_field};
use crate::pb;

impl ExecData {
    /// Appends the `ExecOp` field of `Op` (tag 2, the oneof) for `mounts` (already made) and
    /// `secretenv`, with `extra_path` (the default `PATH`, when the op gets one) after the
    /// op's env.
    pub(super) fn encode_exec_field(
        &self,
        extra_path: Option<&str>,
        mounts: &[pb::Mount],
        secretenv: &[pb::SecretEnv],
        buf: &mut Vec<u8>,
    ) {
        let mut meta = Vec::with_capacity(256);
        self.encode_meta(extra_path, &mut meta);
        let network = self.network as i32;
        let security = self.security as i32;
        // The body's length first (prost's own sizes of the messages), then the body written
        // straight after its key: no buffer for it, and no copy of it.
        let body_len = key_len(1)
            + encoded_len_varint(meta.len() as u64)
            + meta.len()
            + mounts
                .iter()
                .map(|m| message::encoded_len(2, m))
                .sum::<usize>()
            + if network != 0 {
                int32::encoded_len(3, &network)
            } else {
                0
            }
            + if security != 0 {
                int32::encoded_len(4, &security)
            } else {
                0
            }
            + secretenv
                .iter()
                .map(|s| message::encoded_len(5, s))
                .sum::<usize>();
        entry(2, body_len, buf);
        let start = buf.len();
        entry(1, meta.len(), buf);
        buf.extend_from_slice(&meta);
        for m in mounts {
            message::encode(2, m, buf);
        }
        if network != 0 {
            int32::encode(3, &network, buf);
        }
        if security != 0 {
            int32::encode(4, &security, buf);
        }
        for s in secretenv {
            message::encode(5, s, buf);
        }
        debug_assert_eq!(buf.len() - start, body_len);
    }

    /// The contents of `ExecOp.meta`.
    fn encode_meta(&self, extra_path: Option<&str>, m: &mut Vec<u8>) {
        for a in &self.args {
            entry(1, a.len(), m);
            m.extend_from_slice(a.as_bytes());
        }
        let path = extra_path.map(|p| ("PATH", p));
        for (k, v) in self.env.iter().chain(path) {
            entry(2, k.len() + 1 + v.len(), m);
            m.extend_from_slice(k.as_bytes());
            m.push(b'=');
            m.extend_from_slice(v.as_bytes());
        }
        str_field(3, &self.cwd, m);
        str_field(4, &self.user, m);
        if let Some(p) = &self.proxy_env {
            let proxy = pb::ProxyEnv {
                http_proxy: p.http_proxy.clone(),
                https_proxy: p.https_proxy.clone(),
                ftp_proxy: p.ftp_proxy.clone(),
                no_proxy: p.no_proxy.clone(),
                all_proxy: p.all_proxy.clone(),
            };
            message::encode(5, &proxy, m);
        }
        for h in &self.extra_hosts {
            let host = pb::HostIp {
                host: h.host.clone(),
                ip: h.ip.clone(),
            };
            message::encode(6, &host, m);
        }
        str_field(7, &self.hostname, m);
        for u in &self.ulimits {
            let ulimit = pb::Ulimit {
                name: u.name.clone(),
                soft: u.soft,
                hard: u.hard,
            };
            message::encode(9, &ulimit, m);
        }
        str_field(10, &self.cgroup_parent, m);
        // remove_mount_stubs_recursive: always true.
        encode_key(11, WireType::Varint, m);
        encode_varint(1, m);
        if let Some(codes) = &self.valid_exit_codes {
            int32::encode_packed(12, codes, m);
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::llb::exec::{env_entry, secret_env};
    use crate::llb::mount::Mount;
    use crate::llb::state::OpKind;
    use crate::llb::*;

    /// The old way: a `pb::ExecOp` built, then its oneof field encoded.
    fn via_pb(e: &ExecData, extra_path: Option<&str>, mounts: &[pb::Mount]) -> Vec<u8> {
        let mut env: Vec<String> = e.env.iter().map(|(k, v)| env_entry(k, v)).collect();
        env.extend(extra_path.map(|p| env_entry("PATH", p)));
        let secretenv = e.mounts.iter().filter_map(|m| match &m.mount {
            Mount::Secret(s) => secret_env(s),
            _ => None,
        });
        let exec = pb::ExecOp {
            meta: Some(e.pb_meta(env)),
            mounts: mounts.to_vec(),
            network: e.network as i32,
            security: e.security as i32,
            secretenv: secretenv.collect(),
            cdi_devices: Vec::new(),
        };
        let mut buf = Vec::new();
        pb::op::Op::Exec(exec).encode(&mut buf);
        buf
    }

    fn runs() -> Vec<ExecState> {
        let base = image("docker.io/library/alpine:3.23", ImageOptions::default())
            .add_env("PATH", "/bin")
            .add_env("EMPTY", "");
        let mut secret = SecretMount::file("tok", "/run/secrets/tok");
        secret.env = Some("TOKEN".into());
        let full = ExecOptions {
            args: vec!["sh".into(), String::new(), "-c".into(), "é".repeat(100)],
            env: vec![("A".into(), "1".into()), ("B".into(), String::new())],
            cwd: Some("/work".into()),
            user: Some("nobody".into()),
            hostname: Some("h".into()),
            network: Some(NetMode::Host),
            security: Some(pb::SecurityMode::Insecure),
            extra_hosts: vec![HostIp {
                host: "a".into(),
                ip: "10.0.0.1".into(),
            }],
            ulimits: vec![Ulimit {
                name: "nofile".into(),
                soft: 1024,
                hard: -1,
            }],
            cgroup_parent: Some("cg".into()),
            valid_exit_codes: Some(vec![0, 1, -1, 300]),
            proxy_env: Some(ProxyEnv {
                http_proxy: "http://p".into(),
                no_proxy: "x".into(),
                ..Default::default()
            }),
            mounts: vec![
                secret.into(),
                CacheMount::new("/c", "id", CacheSharing::Shared).into(),
            ],
            ..Default::default()
        };
        let bare = ExecOptions::args([""]);
        let none = ExecOptions {
            network: Some(NetMode::None),
            valid_exit_codes: Some(Vec::new()),
            ..ExecOptions::args(["true"])
        };
        [full, bare, none]
            .into_iter()
            .map(|o| base.run(o).expect("run"))
            .collect()
    }

    #[test]
    fn matches_the_encoded_pb_exec_op() {
        for run in runs() {
            let OpKind::Exec(e) = &run.vertex().kind else {
                panic!("not an exec op");
            };
            let mounts: Vec<pb::Mount> = (e.mounts.iter().enumerate())
                .filter_map(|(i, m)| m.mount.to_pb(i as i64 - 1, m.output_index))
                .collect();
            let secretenv: Vec<pb::SecretEnv> = (e.mounts.iter())
                .filter_map(|m| match &m.mount {
                    Mount::Secret(s) => secret_env(s),
                    _ => None,
                })
                .collect();
            for extra in [None, Some("/usr/bin:/bin")] {
                let mut direct = Vec::new();
                e.encode_exec_field(extra, &mounts, &secretenv, &mut direct);
                assert_eq!(direct, via_pb(e, extra, &mounts), "{:?}", e.args);
            }
        }
    }
}

//! The small LLB definitions the frontend solves itself: the `dockerfile`
//! local (Dockerfile plus `<name>.dockerignore`) and the context's
//! `.dockerignore`. Built and marshalled with the `llb` builder, like the Go
//! client (`client/llb`): one source op, then the terminal op whose only
//! input is that source.

use llb_gen::convert::Platform;
use llb_gen::llb;
use llb_gen::pb;

use crate::bridge::pb_platform;
use crate::status::FrontendError;

/// A local source to load a few files from.
#[derive(Clone, Debug)]
pub struct LocalSource<'a> {
    /// Local name (`dockerfile`, `context`).
    pub name: &'a str,
    pub session_id: &'a str,
    /// Only these paths are transferred.
    pub follow_paths: Vec<String>,
    pub shared_key_hint: String,
    /// Progress name (`[internal] load .dockerignore`).
    pub custom_name: String,
    /// The platform marshaling runs with. Like Go's, the local source op
    /// itself carries none (only image and OCI-layout sources do).
    pub platform: &'a Platform,
}

/// A marshalled definition and the digest of its head (the source op).
#[derive(Clone, Debug)]
pub struct LocalDefinition {
    pub definition: pb::Definition,
    pub head: String,
}

impl LocalSource<'_> {
    /// The source as a builder state.
    fn state(&self) -> llb::State {
        llb::local(
            self.name,
            llb::LocalOptions {
                session_id: Some(self.session_id.to_string()),
                follow_paths: self.follow_paths.clone(),
                shared_key_hint: Some(self.shared_key_hint.clone()),
                // Differ "none", not required: no cap, older daemons ignore it.
                differ: Some((llb::LocalDiffer::None, false)),
                op: llb::OpOptions::default().custom_name(self.custom_name.clone()),
                ..llb::LocalOptions::default()
            },
        )
    }

    /// Marshals the source and its terminal op.
    pub fn marshal(&self) -> Result<LocalDefinition, FrontendError> {
        let opts = llb::MarshalOptions {
            platform: Some(pb_platform(self.platform)),
            ..llb::MarshalOptions::default()
        };
        let definition = self
            .state()
            .marshal(&opts)
            .map_err(|e| FrontendError::internal(format!("local {}: {e}", self.name)))?;
        // Depth-first: the source op comes first, the terminal op last.
        let head = match definition.def.as_slice() {
            [source, _terminal] => llb::digest_of(source),
            _ => {
                return Err(FrontendError::internal(format!(
                    "local {}: expected a source and a terminal op",
                    self.name
                )))
            }
        };
        Ok(LocalDefinition { definition, head })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use prost::Message as _;

    use super::*;

    fn dockerfile_source(platform: &Platform) -> LocalSource<'_> {
        LocalSource {
            name: "dockerfile",
            session_id: "sess",
            follow_paths: vec![
                "Dockerfile".into(),
                "Dockerfile.dockerignore".into(),
                "dockerfile".into(),
            ],
            shared_key_hint: "dockerfile".into(),
            custom_name: "[internal] load build definition from Dockerfile".into(),
            platform,
        }
    }

    /// The attributes of [`dockerfile_source`].
    fn dockerfile_attrs() -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "local.followpaths".to_string(),
                r#"["Dockerfile","Dockerfile.dockerignore","dockerfile"]"#.to_string(),
            ),
            ("local.session".to_string(), "sess".to_string()),
            ("local.sharedkeyhint".to_string(), "dockerfile".to_string()),
            ("local.differ".to_string(), "none".to_string()),
        ])
    }

    #[test]
    fn dockerfile_local_definition() {
        let platform = Platform::linux_amd64();
        let src = dockerfile_source(&platform);
        let def = src.marshal().unwrap();
        assert_eq!(def.definition.def.len(), 2);
        let op = pb::Op::decode(def.definition.def[0].as_slice()).unwrap();
        // Like Go's, a local source op carries no platform.
        assert_eq!(op.platform, None);
        let Some(pb::op::Op::Source(s)) = op.op else {
            panic!("not a source op")
        };
        assert_eq!(s.identifier, "local://dockerfile");
        assert_eq!(
            s.attrs.into_iter().collect::<BTreeMap<_, _>>(),
            dockerfile_attrs()
        );
        let term = pb::Op::decode(def.definition.def[1].as_slice()).unwrap();
        assert_eq!(term.inputs[0].digest, def.head);
        let md = &def.definition.metadata[&def.head];
        let caps: Vec<&str> = md.caps.keys().map(String::as_str).collect();
        assert_eq!(
            caps,
            [
                "source.local",
                "source.local.followpaths",
                "source.local.sessionid",
                "source.local.sharedkeyhint"
            ]
        );
        assert_eq!(
            md.description["llb.customname"],
            "[internal] load build definition from Dockerfile"
        );
        // Same input, same bytes.
        assert_eq!(src.marshal().unwrap().definition, def.definition);
    }

    /// The source op is laid out like Go's (no platform; `constraints`
    /// before the `op` oneof, as `llb::encode_op` writes it). The op built
    /// by hand and encoded by prost before had another digest: it carried
    /// the platform and wrote the oneof first.
    #[test]
    fn head_is_the_digest_go_gives() {
        let platform = Platform::linux_amd64();
        let def = dockerfile_source(&platform).marshal().unwrap();
        let source = pb::op::Op::Source(pb::SourceOp {
            identifier: "local://dockerfile".into(),
            attrs: dockerfile_attrs().into_iter().collect(),
        });
        let go_layout = pb::Op {
            constraints: Some(pb::WorkerConstraints::default()),
            op: Some(source.clone()),
            ..pb::Op::default()
        };
        assert_eq!(def.head, llb::digest_of(&llb::encode_op(&go_layout)));
        assert_eq!(
            def.head,
            "sha256:13413802ba89967a55346baa63d192cc6505e8d43d8fdd6b351bfd30b5d91ab0"
        );
        let by_hand = pb::Op {
            platform: Some(pb_platform(&platform)),
            constraints: Some(pb::WorkerConstraints::default()),
            op: Some(source),
            ..pb::Op::default()
        };
        let old = llb::digest_of(&by_hand.encode_to_vec());
        assert_eq!(
            old,
            "sha256:e28f8738ad1a37929f3f9175ccf87bce8273a833d4ee9366ff9e3a31fc134e5a"
        );
        assert_ne!(def.head, old);
    }
}

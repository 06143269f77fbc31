//! Did the replay do what it was for? A time means something only if the frontend converted: a
//! build returns a definition with ops (inline in the `Return`, or the definition of the `Solve`
//! its ref names), a lint subrequest returns its `result.json`, and a bad input returns an error.
//! Anything else (no `Return`, two, an error where a result was expected, a recording miss) fails
//! the run.

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    result::Result as Kind, Ref, ReturnRequest,
};
use bollard_buildkit_proto::pb;
use prost::Message as _;

use crate::bridge::Log;

/// What the run must have returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A build result: a definition with ops.
    Build,
    /// The `frontend.lint` subrequest's answer (`result.json` in the metadata).
    Check,
    /// A failure, returned as the `Return`'s error.
    Error,
}

impl Expect {
    /// Parse `build`, `check` or `error`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "build" => Some(Expect::Build),
            "check" => Some(Expect::Check),
            "error" => Some(Expect::Error),
            _ => None,
        }
    }
}

/// A short description of what was returned, or why the run does not count.
pub fn verify(log: &Log, expect: Expect) -> Result<String, String> {
    if !log.misses.is_empty() {
        return Err(format!("asked what the recording lacks: {:?}", log.misses));
    }
    let ret = match log.returns.as_slice() {
        [one] => one,
        [] => return Err("no Return".into()),
        many => return Err(format!("{} Returns", many.len())),
    };
    let error = ret.error.as_ref().filter(|s| s.code != 0);
    match (expect, error) {
        (Expect::Error, Some(status)) => Ok(format!("error: {}", first_line(&status.message))),
        (Expect::Error, None) => Err("returned success where an error was expected".into()),
        (_, Some(status)) => Err(format!("returned an error: {}", status.message)),
        (Expect::Check, None) => check_result(ret),
        (Expect::Build, None) => build_result(log, ret),
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    line.chars().take(120).collect()
}

fn check_result(ret: &ReturnRequest) -> Result<String, String> {
    let meta = ret.result.as_ref().map(|r| &r.metadata);
    match meta.and_then(|m| m.get("result.json")) {
        Some(json) if !json.is_empty() => Ok(format!("lint result.json, {} bytes", json.len())),
        _ => Err("the lint answer has no result.json".into()),
    }
}

fn build_result(log: &Log, ret: &ReturnRequest) -> Result<String, String> {
    let refs: Vec<(String, Option<pb::Definition>)> =
        match ret.result.as_ref().and_then(|r| r.result.as_ref()) {
            Some(Kind::Ref(r)) => vec![ref_def(r)],
            Some(Kind::Refs(map)) => map.refs.values().map(ref_def).collect(),
            Some(Kind::RefDeprecated(id)) => vec![(id.clone(), None)],
            Some(Kind::RefsDeprecated(map)) => {
                map.refs.values().map(|id| (id.clone(), None)).collect()
            }
            None => Vec::new(),
        };
    if refs.is_empty() {
        return Err("the Return carries no ref".into());
    }
    let mut ops = 0;
    let mut bytes = 0;
    for (id, inline) in refs {
        let def = match inline.filter(|d| !d.def.is_empty()) {
            Some(def) => def,
            None => {
                let bytes = log
                    .solved
                    .get(&id)
                    .ok_or_else(|| format!("the returned ref {id:?} has no definition"))?;
                pb::Definition::decode(bytes.as_ref())
                    .map_err(|e| format!("the Definition solved as {id:?} does not decode: {e}"))?
            }
        };
        let count = def
            .def
            .iter()
            .filter(|b| pb::Op::decode(b.as_slice()).is_ok_and(|op| op.op.is_some()))
            .count();
        if count == 0 {
            return Err(format!(
                "the returned ref {id:?} has a definition without ops"
            ));
        }
        ops += count;
        bytes += def.encoded_len();
    }
    Ok(format!("definition: {ops} ops, {bytes} bytes"))
}

fn ref_def(r: &Ref) -> (String, Option<pb::Definition>) {
    (r.id.clone(), r.def.clone())
}

#[cfg(test)]
mod tests {
    use bollard_buildkit_proto::google::rpc::Status;
    use bollard_buildkit_proto::moby::buildkit::v1::frontend::{result, Result as GwResult};

    use super::*;

    fn with_return(ret: ReturnRequest) -> Log {
        Log {
            returns: vec![ret],
            ..Log::default()
        }
    }

    fn ref_result(id: &str, def: Option<pb::Definition>) -> ReturnRequest {
        ReturnRequest {
            result: Some(GwResult {
                result: Some(result::Result::Ref(Ref { id: id.into(), def })),
                ..GwResult::default()
            }),
            error: None,
        }
    }

    fn one_op() -> pb::Definition {
        let op = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: "docker-image://docker.io/library/alpine:3.20".into(),
                ..Default::default()
            })),
            ..Default::default()
        };
        pb::Definition {
            def: vec![op.encode_to_vec()],
            ..Default::default()
        }
    }

    #[test]
    fn a_build_counts_with_a_definition_inline_or_solved() {
        let inline = with_return(ref_result("r1", Some(one_op())));
        assert!(verify(&inline, Expect::Build).is_ok());
        let mut solved = with_return(ref_result("r1", None));
        solved
            .solved
            .insert("r1".into(), one_op().encode_to_vec().into());
        assert!(verify(&solved, Expect::Build).is_ok());
    }

    #[test]
    fn runs_that_did_not_convert_do_not_count() {
        let none = Log::default();
        assert_eq!(verify(&none, Expect::Build), Err("no Return".into()));
        let empty = with_return(ref_result("r1", Some(pb::Definition::default())));
        assert!(verify(&empty, Expect::Build).is_err());
        let failed = with_return(ReturnRequest {
            result: None,
            error: Some(Status {
                code: 3,
                message: "Dockerfile:1:1: bad".into(),
                details: Vec::new(),
            }),
        });
        assert!(verify(&failed, Expect::Build).is_err());
        assert_eq!(
            verify(&failed, Expect::Error),
            Ok("error: Dockerfile:1:1: bad".into())
        );
        let ok = with_return(ref_result("r1", Some(one_op())));
        assert!(verify(&ok, Expect::Error).is_err());
        assert!(verify(&ok, Expect::Check).is_err());
        let mut missed = with_return(ref_result("r1", Some(one_op())));
        missed.misses.push("image x: not in the recording".into());
        assert!(verify(&missed, Expect::Build).is_err());
    }
}

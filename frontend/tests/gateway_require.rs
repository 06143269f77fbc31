//! Protocol test of `REQUIRE` (a superset extension): the frontend solves the required stage's
//! definition, and the target's, with `evaluate`, and returns the target's ref only. The
//! end-to-end proof on both engines is `tests/tests/e2e/control.rs`.

#![allow(clippy::unwrap_used)]

mod support;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::result;
use bollard_buildkit_proto::pb;
use prost::Message as _;
use support::{run_frontend, Fixture};

fn runs(def: &pb::Definition) -> Vec<String> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .filter_map(|o| match o.op {
            Some(pb::op::Op::Exec(e)) => e.meta.map(|m| m.args.join(" ")),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn required_stages_are_solved_with_evaluate_and_left_out_of_the_result() {
    let df =
        "FROM busybox AS test\nRUN make test\nFROM busybox AS app\nREQUIRE test\nRUN make app\n";
    let out = run_frontend(Fixture::with_dockerfile(df), &[], &[]).await;
    let solves = out.solves();
    let evaluated: Vec<_> = solves.iter().filter(|s| s.evaluate).collect();
    assert_eq!(evaluated.len(), 2, "{solves:#?}");
    let all: Vec<Vec<String>> = evaluated
        .iter()
        .map(|s| runs(s.definition.as_ref().unwrap()))
        .collect();
    assert!(
        all.contains(&vec!["/bin/sh -c make app".to_string()]),
        "{all:?}"
    );
    assert!(
        all.contains(&vec!["/bin/sh -c make test".to_string()]),
        "{all:?}"
    );
    let ret = out.the_return();
    assert!(ret.error.is_none(), "{:#?}", ret.error);
    match &ret.result.as_ref().unwrap().result {
        Some(result::Result::Ref(r)) => {
            // Returned by id alone (BuildKit reads nothing else of a returned ref).
            assert_eq!(r.def, None);
            let solved = out.solve_of(&r.id).unwrap().definition.as_ref().unwrap();
            assert_eq!(runs(solved), ["/bin/sh -c make app"]);
        }
        other => panic!("expected the target's Ref, got {other:?}"),
    }
}

#[tokio::test]
async fn without_require_nothing_is_evaluated() {
    let out = run_frontend(Fixture::with_dockerfile("FROM busybox\nRUN x\n"), &[], &[]).await;
    assert!(out.solves().iter().all(|s| !s.evaluate));
}

//! The library at the instruction limit on a 2 MiB thread (the stack of
//! the frontend's blocking threads): conversion either succeeds or returns
//! a located error; it never depends on the stack size.

#![allow(clippy::unwrap_used)] // tests may unwrap

use llb_gen::convert::{convert_dockerfile, ConvertOptions, OfflineResolver};
use llb_gen::limits::Limits;

/// Converts `text` on a thread with 2 MiB of stack; the outcome as
/// `Ok(number of ops)` or `Err(first diagnostic's code and message)`.
fn convert_on_small_stack(text: String) -> Result<usize, (String, String)> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            match convert_dockerfile(&text, &ConvertOptions::default(), &OfflineResolver) {
                Ok(c) => Ok(c.definition.def.len()),
                Err(d) => Err((d[0].code.to_string(), d[0].message.clone())),
            }
        })
        .unwrap()
        .join()
        .unwrap()
}

fn at_the_limit(line: &str) -> String {
    let n = Limits::DEFAULT.max_instructions - 1;
    format!("FROM busybox\n{}", line.repeat(n))
}

#[test]
fn run_and_copy_chains_at_the_instruction_limit() {
    for line in ["RUN true\n", "COPY a b\n", "WORKDIR x\n"] {
        match convert_on_small_stack(at_the_limit(line)) {
            Ok(ops) => assert!(ops > 99_000, "{line}: {ops} ops"),
            Err((code, msg)) => assert_eq!(code, "definition-too-large", "{line}: {msg}"),
        }
    }
}

#[test]
fn env_and_label_lines_at_the_instruction_limit_convert() {
    for kw in ["ENV", "LABEL", "ARG"] {
        let mut text = String::from("FROM busybox\n");
        for i in 0..Limits::DEFAULT.max_instructions - 2 {
            text.push_str(&format!("{kw} K{i}=v\n"));
        }
        text.push_str("RUN true\n");
        let got = convert_on_small_stack(text);
        assert!(got.is_ok(), "{kw}: {got:?}");
    }
}

#[test]
fn a_chain_of_stages_at_the_stage_limit_converts() {
    let mut text = String::from("FROM busybox AS s0\n");
    for i in 1..Limits::DEFAULT.max_stages {
        text.push_str(&format!("FROM s{} AS s{i}\nRUN true\n", i - 1));
    }
    let got = convert_on_small_stack(text);
    assert!(got.is_ok(), "{got:?}");
}

#[test]
fn a_chain_of_copy_from_at_the_stage_limit_converts() {
    // Every stage copies from the one before: the dependency walks (cycle
    // check, reachability) follow a 10,000-long chain of `--from` edges.
    let mut text = String::from("FROM busybox AS s0\n");
    for i in 1..Limits::DEFAULT.max_stages {
        text.push_str(&format!(
            "FROM busybox AS s{i}\nCOPY --from=s{} /a /a\n",
            i - 1
        ));
    }
    let got = convert_on_small_stack(text);
    assert!(got.is_ok(), "{got:?}");
}

use super::*;
use crate::sources::SourceSet;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn sample() -> Lock {
    let mut lock = Lock::new();
    let image = LockedImage {
        digest: DIGEST.into(),
        config: br#"{"os":"linux","architecture":"amd64","config":{"Env":["PATH=/bin"]}}"#.to_vec(),
    };
    lock.insert("alpine:3.23", &Platform::linux_amd64(), image)
        .unwrap();
    lock
}

/// Every problem of `text`, rendered against the lock file.
fn rendered(text: &str) -> String {
    let errors = parse(text.as_bytes()).expect_err("the lock must be refused");
    let set = SourceSet::new("Dockerfile.lock", text.as_bytes());
    let diags: Vec<_> = errors.iter().map(|e| e.to_diagnostic(0)).collect();
    set.render_all(&diags)
}

#[test]
fn writes_sorted_stable_json_with_a_trailing_newline() {
    let text = String::from_utf8(sample().to_json()).unwrap();
    insta::assert_snapshot!(text);
    assert!(text.ends_with("}\n"));
    assert_eq!(sample().to_json(), sample().to_json());
}

#[test]
fn round_trips() {
    let lock = sample();
    let again = parse(&lock.to_json()).unwrap();
    assert_eq!(again, lock);
    assert_eq!(again.to_json(), lock.to_json());
    let got = again
        .get("docker.io/library/alpine:3.23", &Platform::linux_amd64())
        .unwrap();
    assert_eq!(got.digest, DIGEST);
    // The config is compact with sorted keys, whatever the file's order.
    assert_eq!(
        String::from_utf8_lossy(&got.config),
        r#"{"architecture":"amd64","config":{"Env":["PATH=/bin"]},"os":"linux"}"#
    );
}

#[test]
fn keys_are_normalized_when_read() {
    let text = format!(
        r#"{{"version":1,"images":{{"alpine:3.23":{{"linux/x86_64":{{"digest":"{DIGEST}","config":{{}}}}}}}}}}"#
    );
    let lock = parse(text.as_bytes()).unwrap();
    assert!(lock
        .get("docker.io/library/alpine:3.23", &Platform::linux_amd64())
        .is_some());
}

#[test]
fn digests_of_the_wrong_form_are_refused() {
    for d in [
        "sha256:abc",
        "sha512:0123",
        "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
    ] {
        assert!(!valid_digest(d), "{d}");
    }
    assert!(valid_digest(DIGEST));
}

#[test]
fn syntax_errors_are_located() {
    insta::assert_snapshot!(rendered("{\n  \"version\": 1,\n  \"images\": {\n"));
    insta::assert_snapshot!(rendered("{\n  \"version\": 1\n  \"images\": {}\n}\n"));
}

#[test]
fn a_bad_digest_is_located_at_its_value() {
    let text = "{\n  \"images\": {\n    \"alpine:3.23\": {\n      \"linux/amd64\": {\n        \"config\": {},\n        \"digest\": \"sha256:abc\"\n      }\n    }\n  },\n  \"version\": 1\n}\n";
    insta::assert_snapshot!(rendered(text));
}

#[test]
fn wrong_shapes_and_versions_are_each_reported() {
    let text = r#"{
  "images": {
    "Not A Ref": {},
    "busybox": { "amd64": {}, "linux/arm64": { "digest": 7, "config": [], "extra": 1 } },
    "alpine": []
  },
  "version": 2,
  "other": true
}
"#;
    insta::assert_snapshot!(rendered(text));
    insta::assert_snapshot!(rendered("[]"));
    insta::assert_snapshot!(rendered(r#"{"images": {}}"#));
}

#[test]
fn nothing_panics_on_odd_input() {
    for text in [
        "",
        "{",
        "\"",
        "{\"images\":{\"a\":{\"linux/amd64\":{\"digest\":\"\\u0000\"}}}}",
        "{\"version\":1e400}",
        "{\"images\":{\"\\ud800\":{}}}",
    ] {
        let _ = parse(text.as_bytes());
    }
}

#[test]
fn a_lock_over_the_size_limit_is_refused_unread() {
    let big = vec![b' '; MAX_BYTES + 1];
    let errors = parse(&big).unwrap_err();
    assert_eq!(errors[0].code(), Code::LockFormat);
}

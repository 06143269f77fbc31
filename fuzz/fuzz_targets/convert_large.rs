//! Large inputs from small ones: the input describes a Dockerfile as a
//! head, a body repeated up to 60,000 times and a tail, so the fuzzer can
//! reach long instruction chains, wide environments and big Definitions
//! (the robustness limits: the graph's depth, the 16 MiB Definition bound,
//! ENV/ARG growth) without mutating megabytes.
//!
//! Layout: two bytes of repeat count (little endian), then the head, the
//! body and the tail separated by NUL bytes. The whole pipeline must not
//! panic, overflow its stack or run out of memory, and every diagnostic
//! lies inside the built text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llb_gen::convert::{convert_dockerfile_bytes, ConvertOptions, OfflineResolver};

const MAX_REPEAT: usize = 60_000;
const MAX_BYTES: usize = 9 << 20; // past the 8 MiB file limit on purpose

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let n = usize::from(u16::from_le_bytes([data[0], data[1]])) % (MAX_REPEAT + 1);
    let mut parts = data[2..].splitn(3, |b| *b == 0);
    let (head, body, tail) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let mut text = head.to_vec();
    for _ in 0..n {
        if text.len() + body.len() > MAX_BYTES {
            break;
        }
        text.extend_from_slice(body);
    }
    text.extend_from_slice(tail);
    if let Err(diags) = convert_dockerfile_bytes(&text, &ConvertOptions::default(), &OfflineResolver) {
        for d in diags {
            assert!(
                (d.span.end as usize) <= text.len(),
                "diagnostic {:?} outside input of {} bytes: {}",
                d.span,
                text.len(),
                d.message
            );
        }
    }
});

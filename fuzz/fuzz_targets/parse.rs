//! The parser never panics and its spans stay inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = llb_gen::syntax::parse_bytes(data);
    let len = data.len();
    for e in &parsed.errors {
        assert!(
            (e.span.end as usize) <= len && e.span.start <= e.span.end,
            "error span {:?} outside input of {len} bytes",
            e.span
        );
        // Rendering must not panic either.
        let _ = e.to_diagnostic();
    }
    let _ = llb_gen::syntax::dump(&parsed.dockerfile);
});

//! Text in, Definition out: the whole pipeline never panics, and every
//! diagnostic is located inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llb_gen::convert::{convert_dockerfile_bytes, ConvertOptions, OfflineResolver};

fuzz_target!(|data: &[u8]| {
    let opts = ConvertOptions::default();
    match convert_dockerfile_bytes(data, &opts, &OfflineResolver) {
        // An empty Definition is valid (a `FROM scratch` target, as upstream).
        Ok(_) => {}
        Err(diags) => {
            for d in diags {
                assert!(
                    (d.span.end as usize) <= data.len(),
                    "diagnostic {:?} outside input of {} bytes: {}",
                    d.span,
                    data.len(),
                    d.message
                );
            }
        }
    }
});

//! Text in, Definition out: the whole pipeline never panics, and every
//! diagnostic is located inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llb_gen::convert::{convert_dockerfile, ConvertOptions, OfflineResolver};

fuzz_target!(|data: &[u8]| {
    let text = llb_gen::syntax::source_text(data);
    let opts = ConvertOptions::default();
    match convert_dockerfile(&text, &opts, &OfflineResolver) {
        // An empty Definition is valid (a `FROM scratch` target, as upstream).
        Ok(_) => {}
        Err(diags) => {
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
    }
});

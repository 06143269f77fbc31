//! The converter: typed instructions to an LLB graph and the image config (being written).

mod api;
pub use api::*;

use crate::diagnostic::Diagnostic;
use crate::text::TextRange;

/// Convert Dockerfile text to a Definition and image config.
///
/// Errors are every diagnostic found (parse, typing and conversion), each
/// located in `source`.
pub fn convert_dockerfile(
    source: &str,
    opts: &ConvertOptions,
    resolver: &dyn ImageResolver,
) -> Result<Conversion, Vec<Diagnostic>> {
    let _ = (source, opts, resolver);
    Err(vec![Diagnostic::error("unimplemented", "conversion is being written", TextRange::empty(0))])
}

//! COPY and ADD: flags, sources and destination, heredoc sources.

use crate::ir::error::{Arity, IrError, IrErrorKind};
use crate::ir::flags::Flags;
use crate::ir::flags::{parse_flags, FlagSpec, ForeignFlag};
use crate::ir::run::is_heredoc_word;
use crate::ir::simple::arg_count;
use crate::ir::{AddInstruction, CopyCommon, CopyInstruction};
use crate::syntax::ast::Node;

const COPY_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("from"),
    FlagSpec::string("chown"),
    FlagSpec::string("chmod"),
    FlagSpec::bool("link"),
    FlagSpec::bool("parents"),
    FlagSpec::strings("exclude"),
];

const COPY_FOREIGN: &[ForeignFlag] = &[
    ForeignFlag {
        name: "checksum",
        help: "`--checksum` verifies remote sources and is only supported by ADD",
    },
    ForeignFlag {
        name: "keep-git-dir",
        help: "`--keep-git-dir` applies to Git sources and is only supported by ADD",
    },
    ForeignFlag {
        name: "unpack",
        help: "`--unpack` is only supported by ADD",
    },
];

const ADD_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("chown"),
    FlagSpec::string("chmod"),
    FlagSpec::bool("link"),
    FlagSpec::bool("keep-git-dir"),
    FlagSpec::string("checksum"),
    FlagSpec::bool("unpack"),
    FlagSpec::strings("exclude"),
];

const ADD_FOREIGN: &[ForeignFlag] = &[
    ForeignFlag {
        name: "from",
        help: "use `COPY --from=<stage>` to copy from another stage or image",
    },
    ForeignFlag {
        name: "parents",
        help: "`--parents` is only supported by COPY",
    },
];

/// Lower COPY.
pub(crate) fn lower_copy(node: &Node, errors: &mut Vec<IrError>) -> Option<CopyInstruction> {
    let flags = parse_flags("COPY", &node.flags, COPY_FLAGS, COPY_FOREIGN, errors);
    // An empty `--from=` is no `--from` at all, as upstream.
    let from = flags
        .string("from")
        .filter(|w| !w.value.is_empty())
        .cloned();
    Some(CopyInstruction {
        common: lower_common(node, "COPY", &flags, errors)?,
        from,
        parents: flags.bool("parents").unwrap_or(false),
    })
}

/// Lower ADD.
pub(crate) fn lower_add(node: &Node, errors: &mut Vec<IrError>) -> Option<AddInstruction> {
    let flags = parse_flags("ADD", &node.flags, ADD_FLAGS, ADD_FOREIGN, errors);
    Some(AddInstruction {
        common: lower_common(node, "ADD", &flags, errors)?,
        keep_git_dir: flags.bool("keep-git-dir"),
        checksum: flags.string("checksum").cloned(),
        unpack: flags.bool("unpack"),
    })
}

/// Sources, destination and the flags COPY and ADD share.
fn lower_common(
    node: &Node,
    name: &str,
    flags: &Flags,
    errors: &mut Vec<IrError>,
) -> Option<CopyCommon> {
    let (dest, sources) = match node.args.split_last() {
        Some((dest, sources)) if !sources.is_empty() => (dest.clone(), sources.to_vec()),
        _ => {
            errors.push(
                arg_count(node, name, Arity::SourcesAndDest)
                    .with_help(format!("write `{name} <source>... <destination>`")),
            );
            return None;
        }
    };
    if !node.json && is_heredoc_word(&dest.value) {
        errors.push(IrError::new(
            IrErrorKind::HeredocNotAllowed {
                instruction: name.to_string(),
                role: "a destination".to_string(),
            },
            dest.span,
        ));
    }
    let heredocs = named_heredocs(node, &sources);
    Some(CopyCommon {
        sources,
        dest,
        heredocs,
        json: node.json,
        chown: flags.string("chown").cloned(),
        chmod: flags.string("chmod").cloned(),
        link: flags.bool("link").unwrap_or(false),
        excludes: flags.strings("exclude"),
    })
}

/// The heredocs that a source word introduces. Upstream reads each source
/// that is a heredoc word as one, so in `COPY << EOF /x` (whose sources
/// are `<<` and `EOF`) the body is read but not used.
fn named_heredocs(node: &Node, sources: &[crate::ir::Word]) -> Vec<crate::syntax::ast::Heredoc> {
    let named = |h: &&crate::syntax::ast::Heredoc| sources.iter().any(|s| s.span == h.word_span);
    node.heredocs.iter().filter(named).cloned().collect()
}

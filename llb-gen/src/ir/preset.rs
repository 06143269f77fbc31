//! Cache presets: the names `RUN --cache=<preset>[,...]` and
//! `CACHE <preset>...` accept, and the parsing of their lists. What each
//! preset mounts is the converter's business (`convert/presets.rs`).

use std::fmt;

use crate::ir::error::{Arity, IrError, IrErrorKind};
use crate::ir::flags::sub_span;
use crate::ir::simple::{arg_count, no_flags};
use crate::ir::suggest::suggest;
use crate::ir::Word;
use crate::syntax::ast::Node;
use crate::text::{Spanned, TextRange};

macro_rules! presets {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal; )*) => {
        /// A package manager or build tool whose cache a preset mounts.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CachePreset {
            $( $(#[$doc])* $variant, )*
        }

        impl CachePreset {
            /// Every preset, in the documented order.
            pub const ALL: &'static [CachePreset] = &[ $( CachePreset::$variant, )* ];

            /// The preset's name as written (`apt`).
            pub const fn name(self) -> &'static str {
                match self { $( CachePreset::$variant => $name, )* }
            }

            /// The preset a name means (exact, lower case).
            pub fn parse(name: &str) -> Option<CachePreset> {
                match name {
                    $( $name => Some(CachePreset::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

presets! {
    /// Debian/Ubuntu `apt` and `apt-get`.
    Apt = "apt";
    /// Alpine `apk`.
    Apk = "apk";
    /// Fedora/RHEL `dnf` (and `yum`, its alias there).
    Dnf = "dnf";
    /// Python `pip`.
    Pip = "pip";
    /// Python `uv`.
    Uv = "uv";
    /// Python `poetry`.
    Poetry = "poetry";
    /// Node `npm`.
    Npm = "npm";
    /// Node `pnpm`.
    Pnpm = "pnpm";
    /// Node `yarn` (classic and berry).
    Yarn = "yarn";
    /// Go's build and module caches.
    Go = "go";
    /// Rust `cargo`'s registry and git caches.
    Cargo = "cargo";
    /// Java `mvn` (Maven's local repository).
    Maven = "maven";
    /// Java `gradle` (Gradle's user home).
    Gradle = "gradle";
    /// C/C++ `ccache`.
    Ccache = "ccache";
}

impl fmt::Display for CachePreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every preset name, comma-separated, for messages.
pub(crate) fn preset_list() -> String {
    let names: Vec<&str> = CachePreset::ALL.iter().map(|p| p.name()).collect();
    names.join(", ")
}

/// Parse the presets of `words` (each a comma-separated list) into `out`:
/// an empty item, an unknown name and a name given twice (also across
/// words) are errors; the good names are kept.
pub(crate) fn parse_presets(
    words: &[Word],
    out: &mut Vec<Spanned<CachePreset>>,
    errors: &mut Vec<IrError>,
) {
    for word in words {
        let mut at = 0;
        for item in word.value.split(',') {
            let span = sub_span(word, at..at + item.len());
            at += item.len() + 1;
            if let Some(p) = one_preset(item, span, out, errors) {
                out.push(Spanned::new(p, span));
            }
        }
    }
}

/// One item of a list: the preset, or `None` with an error pushed.
fn one_preset(
    item: &str,
    span: TextRange,
    seen: &[Spanned<CachePreset>],
    errors: &mut Vec<IrError>,
) -> Option<CachePreset> {
    if item.is_empty() {
        let e = IrError::new(IrErrorKind::EmptyCachePreset, span)
            .with_help(format!("name a preset: {}", preset_list()));
        errors.push(e);
        return None;
    }
    let Some(p) = CachePreset::parse(item) else {
        let names: Vec<&str> = CachePreset::ALL.iter().map(|p| p.name()).collect();
        let help = match suggest(item, &names) {
            Some(s) => format!("did you mean `{s}`? The presets are: {}", preset_list()),
            None => format!("the presets are: {}", preset_list()),
        };
        let kind = IrErrorKind::UnknownCachePreset {
            name: item.to_string(),
        };
        errors.push(IrError::new(kind, span).with_help(help));
        return None;
    };
    if let Some(first) = seen.iter().find(|s| s.value == p) {
        let kind = IrErrorKind::DuplicateCachePreset {
            name: p.name().to_string(),
            first: first.span,
        };
        errors.push(IrError::new(kind, span).with_help("name each preset once"));
        return None;
    }
    Some(p)
}

/// `CACHE <preset>...`: no flags, at least one preset; `None` when no
/// preset is usable (errors pushed).
pub(crate) fn lower_cache(
    node: &Node,
    errors: &mut Vec<IrError>,
) -> Option<Vec<Spanned<CachePreset>>> {
    no_flags(node, "CACHE", errors);
    if node.args.is_empty() {
        errors.push(
            arg_count(node, "CACHE", Arity::AtLeastOne)
                .with_help(format!("name one or more presets: {}", preset_list())),
        );
        return None;
    }
    let mut out = Vec::new();
    parse_presets(&node.args, &mut out, errors);
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[(&str, u32)]) -> (Vec<CachePreset>, Vec<IrError>) {
        let words: Vec<Word> = words
            .iter()
            .map(|(s, at)| Word::new((*s).into(), TextRange::new(*at, at + s.len() as u32)))
            .collect();
        let (mut out, mut errors) = (Vec::new(), Vec::new());
        parse_presets(&words, &mut out, &mut errors);
        (out.into_iter().map(|s| s.value).collect(), errors)
    }

    #[test]
    fn every_name_round_trips() {
        for p in CachePreset::ALL {
            assert_eq!(CachePreset::parse(p.name()), Some(*p));
        }
        assert_eq!(CachePreset::ALL.len(), 14);
    }

    #[test]
    fn lists_and_words_combine() {
        let (out, errors) = parse(&[("uv,pip", 10), ("go", 20)]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(out, [CachePreset::Uv, CachePreset::Pip, CachePreset::Go]);
    }

    #[test]
    fn unknown_suggests_the_nearest_and_lists_all() {
        let (out, errors) = parse(&[("pip,npn", 10)]);
        assert_eq!(out, [CachePreset::Pip]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].span, TextRange::new(14, 17));
        let help = errors[0].help.as_deref().unwrap_or("");
        assert!(help.starts_with("did you mean `npm`?"), "{help}");
        assert!(help.contains("apt, apk, dnf"), "{help}");
    }

    #[test]
    fn twice_points_at_the_first() {
        let (_, errors) = parse(&[("go", 10), ("pip,go", 20)]);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].kind,
            IrErrorKind::DuplicateCachePreset {
                name: "go".into(),
                first: TextRange::new(10, 12)
            }
        );
        assert_eq!(errors[0].span, TextRange::new(24, 26));
    }

    #[test]
    fn empty_items_are_errors() {
        let (out, errors) = parse(&[("apt,,pip", 0)]);
        assert_eq!(out, [CachePreset::Apt, CachePreset::Pip]);
        assert_eq!(errors[0].kind, IrErrorKind::EmptyCachePreset);
        assert_eq!(errors[0].span, TextRange::new(4, 4));
    }
}

//! Instruction keywords: recognized once, when a line is parsed, and used
//! for argument parsing, lowering and suggestions alike.

use std::fmt;

use super::ast::with_lowercase;

macro_rules! keywords {
    ($( $(#[$doc:meta])* $variant:ident = $upper:literal, $lower:literal; )*) => {
        /// An instruction keyword (`RUN`), matched case-insensitively.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Keyword {
            $( $(#[$doc])* #[doc = concat!("`", $upper, "`.")] $variant, )*
        }

        impl Keyword {
            /// Every keyword, in alphabetical order.
            pub const ALL: &'static [Keyword] = &[ $( Keyword::$variant, )* ];

            /// The keyword as documented, upper case (`RUN`).
            pub const fn as_str(self) -> &'static str {
                match self { $( Keyword::$variant => $upper, )* }
            }

            /// The keyword a word names: compared in lower case with
            /// Unicode rules, as upstream's `strings.ToLower`.
            pub fn parse(word: &str) -> Option<Keyword> {
                with_lowercase(word, |w| match w {
                    $( $lower => Some(Keyword::$variant), )*
                    _ => None,
                })
            }
        }
    };
}

keywords! {
    Add = "ADD", "add";
    Arg = "ARG", "arg";
    /// A superset extension: stage-wide cache presets.
    Cache = "CACHE", "cache";
    Cmd = "CMD", "cmd";
    /// Superset: the alternative branch of an `IF` block (`ELSE`, `ELSE IF <condition>`).
    Else = "ELSE", "else";
    /// Superset: the end of an `IF` block.
    End = "END", "end";
    Copy = "COPY", "copy";
    Entrypoint = "ENTRYPOINT", "entrypoint";
    Env = "ENV", "env";
    Expose = "EXPOSE", "expose";
    From = "FROM", "from";
    Healthcheck = "HEALTHCHECK", "healthcheck";
    /// Superset: a conditional block, decided at conversion time.
    If = "IF", "if";
    /// Superset: splices the instructions of other Dockerfiles.
    Include = "INCLUDE", "include";
    Label = "LABEL", "label";
    Maintainer = "MAINTAINER", "maintainer";
    Onbuild = "ONBUILD", "onbuild";
    /// A superset extension: stages built along with this one.
    Require = "REQUIRE", "require";
    Run = "RUN", "run";
    Shell = "SHELL", "shell";
    Stopsignal = "STOPSIGNAL", "stopsignal";
    User = "USER", "user";
    Volume = "VOLUME", "volume";
    Workdir = "WORKDIR", "workdir";
}

impl Keyword {
    /// Whether the keyword is one of our language's extensions (composed
    /// away before instructions are typed).
    pub fn is_superset(self) -> bool {
        matches!(
            self,
            Keyword::Include | Keyword::If | Keyword::Else | Keyword::End
        )
    }

    /// Whether a line of this instruction may introduce heredocs.
    pub fn takes_heredocs(self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }

    /// Whether heredoc bodies of this instruction keep their bytes as read
    /// (COPY/ADD write them to files).
    pub fn keeps_heredoc_bytes(self) -> bool {
        matches!(self, Keyword::Copy | Keyword::Add)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_parses_in_any_case() {
        for k in Keyword::ALL {
            assert_eq!(Keyword::parse(k.as_str()), Some(*k));
            assert_eq!(Keyword::parse(&k.as_str().to_lowercase()), Some(*k));
        }
        assert_eq!(Keyword::parse("rUn"), Some(Keyword::Run));
        assert_eq!(Keyword::parse("frobnicate"), None);
        assert_eq!(Keyword::parse(""), None);
    }
}

//! The catalogue of diagnostic codes: one [`Code`] per condition the library
//! reports, each with one spelling, a default severity and a documentation
//! page (`docs/codes/<code>.md`, checked by a test).
//!
//! Every stage's error kind maps to a code here (`SyntaxError::code`,
//! `WordError::code`, `IrError::code`, `convert::Error::code`,
//! `Exceeded::code`). Lint rules will be added to the same table: an entry
//! then names the BuildKit rule it matches ([`Code::upstream_rule`], the name
//! `# check=skip=...` uses) and its default severity.

use std::fmt;

use crate::diagnostic::Severity;

/// Where the documentation pages live, relative to the repository root.
pub const DOCS_DIR: &str = "docs/codes";

macro_rules! catalogue {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal, $severity:ident, $rule:expr;
    )*) => {
        /// A diagnostic code. See the module documentation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code's one spelling, e.g. `unterminated-heredoc`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            /// The severity a diagnostic with this code has unless a rule
            /// configuration says otherwise.
            pub const fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// The name of the BuildKit lint rule this code matches, if any
            /// (`DuplicateStageName`): what `# check=skip=` will accept.
            pub const fn upstream_rule(self) -> Option<&'static str> {
                match self { $( Code::$variant => $rule, )* }
            }
        }
    };
}

catalogue! {
    // Syntax: the line parser.
    /// The file has no instruction.
    NoInstructions = "no-instructions", Error, None;
    /// `ENV PATH` with no value.
    MissingValue = "missing-value", Error, None;
    /// `ENV a=1 b`.
    MissingEquals = "missing-equals", Error, None;
    /// `CMD ["echo", 1]`.
    JsonNotString = "json-not-string", Error, None;
    /// `RUN <<EOF` with no `EOF` line.
    UnterminatedHeredoc = "unterminated-heredoc", Error, None;
    /// `RUN <<""`.
    EmptyHeredocName = "empty-heredoc-name", Error, None;
    /// `RUN <<- EOF`.
    BlankAfterHeredocChomp = "blank-after-heredoc-chomp", Error, None;
    /// `# escape=x`.
    InvalidEscape = "invalid-escape", Error, None;
    /// `# check=skip`.
    InvalidCheck = "invalid-check", Error, None;
    /// Two `# escape=` lines.
    RepeatedDirective = "repeated-directive", Error, None;
    /// Latin-1 bytes in an instruction.
    InvalidUtf8 = "invalid-utf8", Error, None;
    /// A UTF-16 file.
    Utf16File = "utf16-file", Error, None;
    /// A binary file.
    BinaryFile = "binary-file", Error, None;
    /// A physical line over 65535 bytes.
    LineTooLong = "line-too-long", Error, None;
    /// A blank line inside a continued instruction.
    NoEmptyContinuation = "no-empty-continuation", Warning, Some("NoEmptyContinuation");

    // Limits (`crate::limits`).
    /// The file is larger than the limit.
    FileTooLarge = "file-too-large", Error, None;
    /// More instructions than the limit.
    TooManyInstructions = "too-many-instructions", Error, None;
    /// More stages than the limit.
    TooManyStages = "too-many-stages", Error, None;
    /// A heredoc body larger than the limit.
    HeredocTooLarge = "heredoc-too-large", Error, None;
    /// A Definition or image config BuildKit could not take.
    DefinitionTooLarge = "definition-too-large", Error, None;

    // Words: variable expansion.
    /// `${}`.
    BadSubstitution = "bad-substitution", Error, None;
    /// `${a`.
    MissingClosingBrace = "missing-closing-brace", Error, None;
    /// `${a/x}`.
    MissingPatternEnd = "missing-pattern-end", Error, None;
    /// `${a:=b}`.
    UnsupportedModifier = "unsupported-modifier", Error, None;
    /// `${a?msg}` with `a` unset.
    RequiredVariable = "required-variable", Error, None;
    /// `a"b`.
    UnterminatedQuote = "unterminated-quote", Error, None;
    /// `${a#\x}`.
    InvalidPattern = "invalid-pattern", Error, None;
    /// `${...}` nested too deep.
    ExpansionTooDeep = "expansion-too-deep", Error, None;
    /// An expanded word over the size limit.
    ExpansionTooLarge = "expansion-too-large", Error, None;
    /// A pattern match that takes too many steps.
    PatternTooComplex = "pattern-too-complex", Error, None;

    // Typed instructions.
    /// `FORM alpine`.
    UnknownInstruction = "unknown-instruction", Error, None;
    /// `RUN x` before any `FROM`.
    NoBuildStage = "no-build-stage", Error, None;
    /// A file with only `ARG`s.
    NoStages = "no-stages", Error, None;
    /// `FROM a AS x` twice.
    DuplicateStageName = "duplicate-stage-name", Warning, Some("DuplicateStageName");
    /// `FROM a AS 1x`, `FROM a b`.
    InvalidFrom = "invalid-from", Error, None;
    /// `COPY --form=a x y`.
    UnknownFlag = "unknown-flag", Error, None;
    /// `COPY --link=1 x y`.
    InvalidFlag = "invalid-flag", Error, None;
    /// `WORKDIR a b`, `VOLUME [""]`.
    InvalidArguments = "invalid-arguments", Error, None;
    /// `COPY a <<EOF`.
    HeredocNotAllowed = "heredoc-not-allowed", Error, None;
    /// `HEALTHCHECK --interval=5 CMD x`.
    InvalidHealthcheck = "invalid-healthcheck", Error, None;
    /// `ONBUILD ONBUILD RUN x`.
    InvalidOnbuild = "invalid-onbuild", Error, None;
    /// `RUN --mount=tagret=/x`.
    MountOption = "mount-option", Error, None;
    /// `RUN --cache=npn x`, `CACHE go go`.
    CachePreset = "cache-preset", Error, None;

    // Conversion.
    /// `FROM ${EMPTY}`.
    BlankBaseName = "blank-base-name", Error, None;
    /// `FROM --platform=${a` (an expansion error in the platform).
    PlatformExpand = "platform-expand", Error, None;
    /// `FROM --platform=linux/x/y/z alpine`.
    InvalidPlatform = "invalid-platform", Error, None;
    /// `--target=nope`.
    TargetNotFound = "target-not-found", Error, None;
    /// `COPY --from=${X} a b`.
    CopyFromExpansion = "copy-from-expansion", Error, None;
    /// `COPY --from=7 a b` with fewer states.
    InvalidStageIndex = "invalid-stage-index", Error, None;
    /// Two stages that copy from each other.
    CircularDependency = "circular-dependency", Error, None;
    /// `FROM UPPER`.
    InvalidReference = "invalid-reference", Error, None;
    /// The host could not resolve a base image.
    ResolveImage = "resolve-image", Error, None;
    /// A base image config that is not valid JSON.
    ImageConfig = "image-config", Error, None;
    /// `context:name=bogus://x`.
    NamedContext = "named-context", Error, None;
    /// The host could not read a requested file.
    ReadFile = "read-file", Error, None;
    /// The host drove a finished converter.
    ConverterFinished = "converter-finished", Error, None;
    /// An image's ONBUILD trigger that does not parse.
    OnbuildTrigger = "onbuild-trigger", Error, None;
    /// A stage used before it was built (an internal error).
    StageOrder = "stage-order", Error, None;
    /// The LLB graph could not be marshaled (an internal error).
    Marshal = "marshal", Error, None;
    /// A feature the BuildKit in use lacks.
    MissingCapability = "missing-capability", Error, None;
    /// `ADD --checksum=md5:x`.
    Checksum = "checksum", Error, None;
    /// `COPY --chmod=9 a b`.
    Chmod = "chmod", Error, None;
    /// `COPY "" /dst` after expansion (no source).
    Copy = "copy", Error, None;
    /// `COPY https://host/repo.git /src`.
    CopyGit = "copy-git", Error, None;
    /// `COPY https://host/file /dst`.
    CopyUrl = "copy-url", Error, None;
    /// `ADD git@host:repo#::: /src`.
    AddGit = "add-git", Error, None;
    /// `EXPOSE 80/xyz`.
    Expose = "expose", Error, None;
    /// `STOPSIGNAL SIGNOPE`.
    Stopsignal = "stopsignal", Error, None;
    /// A RUN the LLB builder rejects.
    Run = "run", Error, None;
    /// `REQUIRE tset` with no such stage.
    RequireStage = "require-stage", Error, None;
    /// `RUN --device=x` on a BuildKit without device support.
    RunDevice = "run-device", Error, None;
    /// `SOURCE_DATE_EPOCH=yesterday`.
    SourceDateEpoch = "source-date-epoch", Error, None;

    // Composition (the superset): INCLUDE, IF / ELSE / END.
    /// `INCLUDE nope.Dockerfile`.
    IncludeNotFound = "include-not-found", Error, None;
    /// `INCLUDE ../../x.Dockerfile` past the root of its source.
    IncludeOutsideSource = "include-outside-source", Error, None;
    /// `INCLUDE ci/*.Dockerfile` matching nothing.
    IncludeNoMatch = "include-no-match", Error, None;
    /// Files that include each other.
    IncludeCycle = "include-cycle", Error, None;
    /// The host could not read an included file.
    IncludeRead = "include-read", Error, None;
    /// `INCLUDE --from=nope x`, or a named context that cannot be read.
    IncludeSource = "include-source", Error, None;
    /// An included file with another escape character.
    IncludeEscape = "include-escape", Error, None;
    /// Included files too deep, too many or too large.
    IncludeLimit = "include-limit", Error, None;
    /// `FROM ./ci/go.Dockerfile#nope`: no such stage in the imported file.
    ImportStage = "import-stage", Error, None;
    /// `INCLUDE` without a path, `END x`, `ONBUILD IF x`.
    SupersetUsage = "superset-usage", Error, None;
    /// `IF ${X}` with `X` declared only inside a stage.
    StageVariable = "stage-variable", Error, None;
    /// `INCLUDE ${EMPTY}`, `COPY --from=${EMPTY}`.
    EmptyExpansion = "empty-expansion", Error, None;
    /// A stray `ELSE` / `END`, or an `IF` left open.
    UnmatchedBlock = "unmatched-block", Error, None;
    /// `IF a ==`.
    InvalidCondition = "invalid-condition", Error, None;

    // The base-image lock file (`crate::lock`, a superset extension).
    /// `<Dockerfile>.lock` is not JSON.
    LockSyntax = "lock-syntax", Error, None;
    /// `"version": 2` in a lock file.
    LockVersion = "lock-version", Error, None;
    /// `"digest": "sha256:abc"` in a lock file.
    LockDigest = "lock-digest", Error, None;
    /// A lock file of the wrong shape (`"images": []`, a bad platform key).
    LockFormat = "lock-format", Error, None;
    /// The host could not read `<Dockerfile>.lock`.
    LockRead = "lock-read", Error, None;

    // Build checks (`crate::lint`): upstream's rules, then our own. Their
    // pages are under `docs/rules/`.
    /// `FROM a AS Build`.
    StageNameCasing = "stage-name-casing", Warning, Some("StageNameCasing");
    /// `FROM a as b`.
    FromAsCasing = "from-as-casing", Warning, Some("FromAsCasing");
    /// `FROM a` then `run x`.
    ConsistentInstructionCasing = "consistent-instruction-casing", Warning, Some("ConsistentInstructionCasing");
    /// `FROM a AS scratch`.
    ReservedStageName = "reserved-stage-name", Warning, Some("ReservedStageName");
    /// `CMD echo hi`.
    JsonArgsRecommended = "json-args-recommended", Warning, Some("JSONArgsRecommended");
    /// `MAINTAINER me`.
    MaintainerDeprecated = "maintainer-deprecated", Warning, Some("MaintainerDeprecated");
    /// `FROM alpine:$TAG` with no `ARG TAG`.
    UndefinedArgInFrom = "undefined-arg-in-from", Warning, Some("UndefinedArgInFrom");
    /// `WORKDIR app` as the first WORKDIR.
    WorkdirRelativePath = "workdir-relative-path", Warning, Some("WorkdirRelativePath");
    /// `COPY $NOPE /x` with `NOPE` never defined.
    UndefinedVar = "undefined-var", Warning, Some("UndefinedVar");
    /// Two `CMD`s in a stage.
    MultipleInstructionsDisallowed = "multiple-instructions-disallowed", Warning, Some("MultipleInstructionsDisallowed");
    /// `ENV a b`.
    LegacyKeyValueFormat = "legacy-key-value-format", Warning, Some("LegacyKeyValueFormat");
    /// A base image whose platform is not the one asked for.
    InvalidBaseImagePlatform = "invalid-base-image-platform", Warning, Some("InvalidBaseImagePlatform");
    /// `FROM --platform=$TARGETPLATFORM a`.
    RedundantTargetPlatform = "redundant-target-platform", Warning, Some("RedundantTargetPlatform");
    /// `ARG API_TOKEN`.
    SecretsUsedInArgOrEnv = "secrets-used-in-arg-or-env", Warning, Some("SecretsUsedInArgOrEnv");
    /// `ARG TAG=` then `FROM alpine:$TAG`... with an empty default.
    InvalidDefaultArgInFrom = "invalid-default-arg-in-from", Warning, Some("InvalidDefaultArgInFrom");
    /// `FROM --platform=linux/amd64 a`.
    FromPlatformFlagConstDisallowed = "from-platform-flag-const-disallowed", Warning, Some("FromPlatformFlagConstDisallowed");
    /// `COPY secret.txt /` with `secret.txt` in `.dockerignore`.
    CopyIgnoredFile = "copy-ignored-file", Warning, Some("CopyIgnoredFile");
    /// `# builds it` above `FROM a AS build`.
    InvalidDefinitionDescription = "invalid-definition-description", Warning, Some("InvalidDefinitionDescription");
    /// `EXPOSE 80/TCP`.
    ExposeProtoCasing = "expose-proto-casing", Warning, Some("ExposeProtoCasing");
    /// `EXPOSE 8080:80`.
    ExposeInvalidFormat = "expose-invalid-format", Warning, Some("ExposeInvalidFormat");
    /// A superset extension (`INCLUDE`) that upstream's frontend rejects.
    UpstreamIncompatible = "upstream-incompatible", Warning, None;
    /// `FROM alpine:3.20` with no digest.
    UnpinnedBaseImage = "unpinned-base-image", Warning, None;
    /// `COPY .env /app/`.
    SecretInCopy = "secret-in-copy", Warning, None;
    /// A base image the build's lock file does not hold.
    UnlockedImage = "unlocked-image", Warning, None;
    /// `RUN --mount=type=cache,target=/root/.cache` with no `id=`.
    CacheMountWithoutId = "cache-mount-without-id", Warning, None;
    /// `RUN apt-get install -y curl` with no apt cache.
    AptWithoutCache = "apt-without-cache", Warning, None;
    /// `# check=error=true` and a build check reported something.
    CheckFailed = "check-failed", Error, None;
}

impl Code {
    /// The code whose spelling is `name`.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// The documentation page, relative to the repository root
    /// (`docs/codes/no-stages.md`; a build check's is under
    /// [`crate::lint::DOCS_DIR`]: `docs/rules/stage-name-casing.md`).
    pub fn doc_path(self) -> String {
        format!("{}/{}.md", self.docs_dir(), self.as_str())
    }

    /// The directory of the code's page: [`DOCS_DIR`], or
    /// [`crate::lint::DOCS_DIR`] for a build check's code.
    pub fn docs_dir(self) -> &'static str {
        match crate::lint::rule(self) {
            Some(_) => crate::lint::DOCS_DIR,
            None => DOCS_DIR,
        }
    }
}

/// A code equals its spelling (`Code::NoStages == "no-stages"`).
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn repo() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn spellings_are_unique_kebab_case() {
        let mut seen = BTreeSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.split('-').all(|p| !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{s} is not kebab-case"
            );
            assert_eq!(Code::from_name(s), Some(*c));
        }
    }

    #[test]
    fn every_code_has_a_page_and_every_page_a_code() {
        let mut missing = Vec::new();
        for c in Code::ALL {
            let page = repo().join(c.doc_path());
            match std::fs::read_to_string(&page) {
                Ok(text) if text.starts_with(&format!("# `{c}`\n")) => {}
                Ok(_) => missing.push(format!("{c} (the page must start with \"# `{c}`\")")),
                Err(_) => missing.push(c.doc_path()),
            }
        }
        assert!(missing.is_empty(), "codes without a page: {missing:?}");
        let mut orphans = Vec::new();
        for dir in [DOCS_DIR, crate::lint::DOCS_DIR] {
            let path = repo().join(dir);
            for entry in
                std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            {
                let name = entry.map(|e| e.file_name()).unwrap_or_default();
                let name = name.to_string_lossy();
                if name == "README.md" {
                    continue;
                }
                match name.strip_suffix(".md").and_then(Code::from_name) {
                    Some(code) if code.docs_dir() == dir => {}
                    _ => orphans.push(format!("{dir}/{name}")),
                }
            }
        }
        assert!(orphans.is_empty(), "pages without a code: {orphans:?}");
    }
}

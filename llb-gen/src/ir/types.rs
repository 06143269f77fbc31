//! The typed instruction model: what a Dockerfile means, before conversion.
//!
//! Values that upstream expands at dispatch time (ENV values, COPY paths,
//! mount option values...) are kept raw here as [`Word`]s; the converter
//! expands them with [`crate::words`] against the stage environment.

use std::time::Duration;

use crate::ir::preset::CachePreset;
use crate::syntax::ast::Heredoc;
use crate::syntax::SourceStr;
use crate::text::{Spanned, TextRange};

/// A raw (unexpanded) word with its span in the source; its text is
/// shared with the file's when written there as it is ([`SourceStr`]).
pub type Word = Spanned<SourceStr>;

/// A whole Dockerfile: directives, global ARGs and stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dockerfile {
    /// The parser directives at the top of the file.
    pub directives: Directives,
    /// ARG instructions before the first FROM, in order.
    pub meta_args: Vec<ArgInstruction>,
    /// Stages in file order; `Stage::index` is the position here.
    pub stages: Vec<Stage>,
    /// The escape character in effect (`\` or `` ` ``).
    pub escape: char,
    /// Every use of a superset extension (for the `UpstreamIncompatible`
    /// rule), in source order.
    pub extensions: Vec<ExtensionUse>,
}

/// One use of a language extension that upstream's frontend does not
/// accept: the extension's name (e.g. `INCLUDE`, `RUN --cache`) and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionUse {
    /// The extension as users write it, e.g. `INCLUDE` or `RUN --no-cache`.
    pub name: &'static str,
    /// Where it is used.
    pub span: TextRange,
}

/// The parser directives the converter reads (`# escape=` is applied by
/// the parser and kept in [`Dockerfile::escape`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directives {
    /// `# syntax=` value as written.
    pub syntax: Option<Word>,
    /// `# check=` value as written.
    pub check: Option<Word>,
}

/// One `FROM` and the instructions that follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// 0-based position among the stages.
    pub index: usize,
    /// `AS name`, lower-cased and validated.
    pub name: Option<Word>,
    /// The base image or stage name as written (expanded later with global args).
    pub base: Word,
    /// `--platform` as written.
    pub platform: Option<Word>,
    /// Doc comment (comment lines directly above FROM).
    pub comment: Vec<String>,
    /// Span and text of the FROM line.
    pub from: CommandInfo,
    /// The instructions after FROM, in order.
    pub commands: Vec<Command>,
}

/// Where an instruction came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandInfo {
    /// The whole instruction (including heredoc bodies).
    pub span: TextRange,
    /// The logical line as written (continuations joined), e.g. for history
    /// and progress names; shared with the file's text when on one line.
    pub original: SourceStr,
    /// 1-based first and last line.
    pub start_line: u32,
    /// 1-based last line (a continued instruction or heredoc spans several).
    pub end_line: u32,
}

/// One instruction inside a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Where it is written.
    pub info: CommandInfo,
    /// What it says.
    pub instruction: Instruction,
}

/// Every instruction of Dockerfile 1.x except FROM (which starts a [`Stage`]).
///
/// The large variants are boxed: every stage keeps its commands until it is
/// dispatched, and a 500-stage file has thousands (80 bytes each instead of
/// 288).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Instruction {
    /// `ARG name[=default] ...` inside a stage.
    Arg(Box<ArgInstruction>),
    /// `ENV key=value ...` (or the legacy `ENV key value`).
    Env(Vec<KeyValue>),
    /// `LABEL key=value ...`.
    Label(Vec<KeyValue>),
    /// `RUN` with its flags.
    Run(Box<Run>),
    /// `COPY`.
    Copy(Box<CopyInstruction>),
    /// `ADD`.
    Add(Box<AddInstruction>),
    /// `WORKDIR [--chown=...] [--chmod=...] path`.
    Workdir(Box<Workdir>),
    /// `USER user[:group]`.
    User(Word),
    /// `VOLUME path ...` (JSON or space-separated form).
    Volume(Vec<Word>),
    /// `EXPOSE port[/proto] ...`.
    Expose(Vec<Word>),
    /// `STOPSIGNAL signal`.
    StopSignal(Word),
    /// `CMD`, exec or shell form.
    Cmd(CommandLine),
    /// `ENTRYPOINT`, exec or shell form.
    Entrypoint(CommandLine),
    /// `SHELL ["executable", "param", ...]`.
    Shell(Vec<Word>),
    /// `HEALTHCHECK NONE` or `HEALTHCHECK [flags] CMD ...`.
    Healthcheck(Box<Healthcheck>),
    /// `ONBUILD instruction`, kept for the image config.
    OnBuild(OnBuild),
    /// `MAINTAINER name` (deprecated upstream, still honoured).
    Maintainer(Word),
    /// `CACHE <preset>...` (a superset extension): the presets apply to
    /// every later RUN of the stage.
    Cache(Vec<Spanned<CachePreset>>),
    /// `REQUIRE <stage>...` (a superset extension): the named stages are
    /// built whenever this stage is, and nothing of theirs enters it.
    Require(Vec<Word>),
}

/// `WORKDIR [--chown=<user>[:<group>]] [--chmod=<mode>] <path>`; the flags
/// are a superset extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workdir {
    /// The path, raw.
    pub path: Word,
    /// `--chown`, raw (expanded by the converter).
    pub chown: Option<Word>,
    /// `--chmod`, raw (expanded by the converter; octal).
    pub chmod: Option<Word>,
}

/// `ARG a b=c`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgInstruction {
    /// Where it is written.
    pub info: CommandInfo,
    /// The declared names, in order.
    pub args: Vec<ArgDecl>,
    /// Doc comment (comment lines directly above the ARG).
    pub comment: Vec<String>,
}

/// One name of an `ARG` instruction, with its default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgDecl {
    /// The name as written.
    pub name: Word,
    /// Raw default value (quotes kept; expanded by the converter).
    pub default: Option<Word>,
}

/// `ENV`/`LABEL` pair; both sides raw, expanded by the converter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    /// The key, raw.
    pub key: Word,
    /// The value, raw.
    pub value: Word,
    /// True for the legacy `ENV key value with spaces` form.
    pub legacy: bool,
}

/// Exec (JSON) form or shell form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandLine {
    /// JSON array form: the arguments, each raw.
    Exec(Vec<Word>),
    /// The raw command text as written (continuations joined), never expanded
    /// by the frontend.
    Shell(Word),
}

/// `RUN --network=` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkMode {
    /// No `--network`: the build's default network.
    Default,
    /// `none`: no network.
    None,
    /// `host`: the host's network (needs the entitlement).
    Host,
}

/// `RUN --security=` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityMode {
    /// `sandbox`: the default confinement.
    Sandbox,
    /// `insecure`: privileged (needs the entitlement).
    Insecure,
}

/// `RUN [--mount=...]... [--network=...] [--security=...] cmd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The command to run.
    pub command: CommandLine,
    /// Heredocs attached to the command (`RUN <<EOF`).
    pub heredocs: Vec<Heredoc>,
    /// `--mount` flags, in order.
    pub mounts: Vec<Mount>,
    /// `--network`, when given.
    pub network: Option<Spanned<NetworkMode>>,
    /// `--security`, when given.
    pub security: Option<Spanned<SecurityMode>>,
    /// `--device` values (parsed, but upstream mainline rejects them at dispatch).
    pub devices: Vec<Word>,
    /// `--cache=<preset>[,...]` (a superset extension), in order.
    pub cache: Vec<Spanned<CachePreset>>,
    /// `--no-cache` (a superset extension): the step ignores the build cache.
    pub no_cache: bool,
}

/// The `type=` of a `--mount` (default `bind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountType {
    /// `bind`: a read-only view of another state (default).
    Bind,
    /// `cache`: a persistent cache directory.
    Cache,
    /// `tmpfs`: an in-memory file system.
    Tmpfs,
    /// `secret`: a secret file or environment variable from the client.
    Secret,
    /// `ssh`: an SSH agent socket from the client.
    Ssh,
}

/// The keys a `--mount` field can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountKey {
    /// `type`
    Type,
    /// `from`
    From,
    /// `source` (`src`)
    Source,
    /// `target` (`dst`, `destination`)
    Target,
    /// `readonly` (`ro`)
    ReadOnly,
    /// `readwrite` (`rw`)
    ReadWrite,
    /// `id`
    Id,
    /// `sharing`
    Sharing,
    /// `required`
    Required,
    /// `size`
    Size,
    /// `mode`
    Mode,
    /// `uid`
    Uid,
    /// `gid`
    Gid,
    /// `env`
    Env,
}

/// One `key[=value]` field of a `--mount` option list, value raw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountField {
    /// The key (aliases resolved).
    pub key: MountKey,
    /// The value, raw; `None` for a bare key (`readonly`).
    pub value: Option<Word>,
    /// The whole field.
    pub span: TextRange,
}

/// A `--mount=` flag: its fields in order (values are expanded at dispatch,
/// so the typed form is produced by `Mount::resolve` in `ir/mount.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The mount type.
    pub kind: MountType,
    /// `from=`, never expanded (it shapes the stage graph).
    pub from: Option<Word>,
    /// Every field, in order, `type=` included.
    pub fields: Vec<MountField>,
    /// The whole flag.
    pub span: TextRange,
}

/// `sharing=` of a cache mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheSharing {
    /// `shared`: concurrent users share the directory (default).
    Shared,
    /// `private`: a concurrent user gets a new directory.
    Private,
    /// `locked`: a concurrent user waits.
    Locked,
}

/// A mount after expansion and validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountSpec {
    /// `type=bind`.
    Bind {
        /// Where it is mounted.
        target: String,
        /// The path inside the source (`source=`).
        source: Option<String>,
        /// The stage, image or context to mount (`from=`); the build context when absent.
        from: Option<String>,
        /// `rw`: writes are allowed (and discarded).
        read_write: bool,
    },
    /// `type=cache`.
    Cache {
        /// The id as written, or the cleaned target when absent.
        id: String,
        /// Where it is mounted.
        target: String,
        /// `ro`.
        read_only: bool,
        /// How concurrent builds share it.
        sharing: CacheSharing,
        /// The state to seed it from (`from=`).
        from: Option<String>,
        /// The path inside `from` (`source=`).
        source: Option<String>,
        /// The directory's mode (`mode=`, octal).
        mode: Option<u32>,
        /// The directory's owner (`uid=`).
        uid: Option<u32>,
        /// The directory's group (`gid=`).
        gid: Option<u32>,
    },
    /// `type=tmpfs`.
    Tmpfs {
        /// Where it is mounted.
        target: String,
        /// Its size limit in bytes (`size=`).
        size: Option<u64>,
    },
    /// `type=secret`.
    Secret {
        /// The secret's id (default: the target's file name).
        id: String,
        /// The file it is mounted at (default `/run/secrets/<id>`).
        target: Option<String>,
        /// The environment variable it is exposed as (`env=`).
        env: Option<String>,
        /// Fail when the client has no such secret.
        required: bool,
        /// The file's mode (default `0400`).
        mode: u32,
        /// The file's owner.
        uid: u32,
        /// The file's group.
        gid: u32,
    },
    /// `type=ssh`.
    Ssh {
        /// The agent's id (empty: `default`).
        id: String,
        /// The socket's path (default `/run/buildkit/ssh_agent.<n>`).
        target: Option<String>,
        /// Fail when the client forwards no such agent.
        required: bool,
        /// The socket's mode (default `0600`).
        mode: u32,
        /// The socket's owner.
        uid: u32,
        /// The socket's group.
        gid: u32,
    },
}

/// What COPY and ADD share: sources, destination and the flags both take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyCommon {
    /// Sources as written (raw, expanded by the converter). Heredoc sources
    /// appear here as their `<<WORD` token and in `heredocs`.
    pub sources: Vec<Word>,
    /// The destination as written (raw).
    pub dest: Word,
    /// Heredoc sources (`COPY <<EOF /dest`).
    pub heredocs: Vec<Heredoc>,
    /// True when the paths were given in JSON form.
    pub json: bool,
    /// `--chown`.
    pub chown: Option<Word>,
    /// `--chmod`, raw.
    pub chmod: Option<Word>,
    /// `--link`: copy onto an empty layer and merge it.
    pub link: bool,
    /// `--exclude` patterns.
    pub excludes: Vec<Word>,
}

/// `COPY [--from=<stage>] [--parents] <src>... <dest>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyInstruction {
    /// What COPY and ADD share.
    pub common: CopyCommon,
    /// `--from`, never expanded.
    pub from: Option<Word>,
    /// `--parents`.
    pub parents: bool,
}

/// `ADD [--checksum=<digest>] [--keep-git-dir] [--unpack] <src>... <dest>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddInstruction {
    /// What COPY and ADD share.
    pub common: CopyCommon,
    /// `--keep-git-dir`.
    pub keep_git_dir: Option<bool>,
    /// Expanded by the converter.
    pub checksum: Option<Word>,
    /// `--unpack`.
    pub unpack: Option<bool>,
}

/// `HEALTHCHECK`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`.
    None,
    /// `HEALTHCHECK [flags] CMD ...`.
    Cmd {
        /// The check command.
        test: CommandLine,
        /// `--interval`.
        interval: Option<Duration>,
        /// `--timeout`.
        timeout: Option<Duration>,
        /// `--start-period`.
        start_period: Option<Duration>,
        /// `--start-interval`.
        start_interval: Option<Duration>,
        /// `--retries`.
        retries: Option<i32>,
    },
}

/// `ONBUILD <instruction>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnBuild {
    /// The text after `ONBUILD ` as stored in the image config (heredoc
    /// bodies re-attached).
    pub expression: String,
    /// The nested instruction, validated.
    pub command: Box<Command>,
}

//! The typed instruction model: what a Dockerfile means, before conversion.
//!
//! Values that upstream expands at dispatch time (ENV values, COPY paths,
//! mount option values...) are kept raw here as [`Word`]s; the converter
//! expands them with [`crate::words`] against the stage environment.

use std::time::Duration;

use crate::syntax::ast::Heredoc;
use crate::text::{Spanned, TextRange};

/// A raw (unexpanded) word with its span in the source.
pub type Word = Spanned<String>;

/// A whole Dockerfile: directives, global ARGs and stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dockerfile {
    pub directives: Directives,
    /// ARG instructions before the first FROM, in order.
    pub meta_args: Vec<ArgInstruction>,
    /// Stages in file order; `Stage::index` is the position here.
    pub stages: Vec<Stage>,
    /// The escape character in effect (`\` or `` ` ``).
    pub escape: char,
}

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
    pub commands: Vec<Command>,
}

/// Where an instruction came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandInfo {
    /// The whole instruction (including heredoc bodies).
    pub span: TextRange,
    /// The logical line as written (continuations joined), e.g. for history
    /// and progress names.
    pub original: String,
    /// 1-based first and last line.
    pub start_line: u32,
    pub end_line: u32,
}

/// One instruction inside a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub info: CommandInfo,
    pub instruction: Instruction,
}

/// Every instruction of Dockerfile 1.x except FROM (which starts a [`Stage`]).
#[derive(Clone, Debug, PartialEq, Eq)]
///
/// The large variants are boxed: every stage keeps its commands until it is
/// dispatched, and a 500-stage file has thousands (80 bytes each instead of
/// 288).
pub enum Instruction {
    Arg(Box<ArgInstruction>),
    Env(Vec<KeyValue>),
    Label(Vec<KeyValue>),
    Run(Box<Run>),
    Copy(Box<CopyInstruction>),
    Add(Box<AddInstruction>),
    Workdir(Word),
    User(Word),
    Volume(Vec<Word>),
    Expose(Vec<Word>),
    StopSignal(Word),
    Cmd(CommandLine),
    Entrypoint(CommandLine),
    Shell(Vec<Word>),
    Healthcheck(Box<Healthcheck>),
    OnBuild(OnBuild),
    Maintainer(Word),
}

/// `ARG a b=c`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgInstruction {
    pub info: CommandInfo,
    pub args: Vec<ArgDecl>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: Word,
    /// Raw default value (quotes kept; expanded by the converter).
    pub default: Option<Word>,
}

/// `ENV`/`LABEL` pair; both sides raw, expanded by the converter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: Word,
    pub value: Word,
    /// True for the legacy `ENV key value with spaces` form.
    pub legacy: bool,
}

/// Exec (JSON) form or shell form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandLine {
    Exec(Vec<Word>),
    /// The raw command text as written (continuations joined), never expanded
    /// by the frontend.
    Shell(Word),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkMode {
    Default,
    None,
    Host,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityMode {
    Sandbox,
    Insecure,
}

/// `RUN [--mount=...]... [--network=...] [--security=...] cmd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub command: CommandLine,
    pub heredocs: Vec<Heredoc>,
    pub mounts: Vec<Mount>,
    pub network: Option<Spanned<NetworkMode>>,
    pub security: Option<Spanned<SecurityMode>>,
    /// `--device` values (parsed, but upstream mainline rejects them at dispatch).
    pub devices: Vec<Word>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountKey {
    Type,
    From,
    Source,
    Target,
    ReadOnly,
    ReadWrite,
    Id,
    Sharing,
    Required,
    Size,
    Mode,
    Uid,
    Gid,
    Env,
}

/// One `key[=value]` field of a `--mount` option list, value raw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountField {
    pub key: MountKey,
    pub value: Option<Word>,
    pub span: TextRange,
}

/// A `--mount=` flag: its fields in order (values are expanded at dispatch,
/// so the typed form is produced by `Mount::resolve` in `ir::run`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountType,
    /// `from=`, never expanded (it shapes the stage graph).
    pub from: Option<Word>,
    pub fields: Vec<MountField>,
    /// The whole flag.
    pub span: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheSharing {
    Shared,
    Private,
    Locked,
}

/// A mount after expansion and validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountSpec {
    Bind {
        target: String,
        source: Option<String>,
        from: Option<String>,
        read_write: bool,
    },
    Cache {
        /// The id as written, or the cleaned target when absent.
        id: String,
        target: String,
        read_only: bool,
        sharing: CacheSharing,
        from: Option<String>,
        source: Option<String>,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
    Tmpfs {
        target: String,
        size: Option<u64>,
    },
    Secret {
        id: String,
        target: Option<String>,
        env: Option<String>,
        required: bool,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    Ssh {
        id: String,
        target: Option<String>,
        required: bool,
        mode: u32,
        uid: u32,
        gid: u32,
    },
}

/// What COPY and ADD share: sources, destination and the flags both take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyCommon {
    /// Sources as written (raw, expanded by the converter). Heredoc sources
    /// appear here as their `<<WORD` token and in `heredocs`.
    pub sources: Vec<Word>,
    pub dest: Word,
    pub heredocs: Vec<Heredoc>,
    /// True when the paths were given in JSON form.
    pub json: bool,
    pub chown: Option<Word>,
    pub chmod: Option<Word>,
    pub link: bool,
    pub excludes: Vec<Word>,
}

/// `COPY [--from=<stage>] [--parents] <src>... <dest>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyInstruction {
    pub common: CopyCommon,
    /// `--from`, never expanded.
    pub from: Option<Word>,
    pub parents: bool,
}

/// `ADD [--checksum=<digest>] [--keep-git-dir] [--unpack] <src>... <dest>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddInstruction {
    pub common: CopyCommon,
    pub keep_git_dir: Option<bool>,
    /// Expanded by the converter.
    pub checksum: Option<Word>,
    pub unpack: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`.
    None,
    Cmd {
        test: CommandLine,
        interval: Option<Duration>,
        timeout: Option<Duration>,
        start_period: Option<Duration>,
        start_interval: Option<Duration>,
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

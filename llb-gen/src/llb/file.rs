//! File ops: chains of mkdir / mkfile / rm / copy / symlink actions
//! (`client/llb/fileop.go`).
//!
//! A [`FileAction`] is a chain; [`State::file`] binds the whole chain to the
//! state it runs on. In the proto every action has `input`,
//! `secondary_input` and `output`; an index at or past the number of real
//! inputs refers to the output of an earlier action (`len(inputs) + i`).
//! Only the last action produces output 0; the others have `-1`.

use std::sync::Arc;

use super::caps;
use super::marshal::{InputTable, OpParts, Resolver};
use super::state::{OpKind, OpOptions, Output, State, Vertex};
use super::teardown::Edges;
use crate::path::{clean as clean_path, join as join_path};
use crate::pb;

/// A user or group: by numeric id or by name (resolved in the destination).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserOpt {
    /// A numeric id.
    Id(u32),
    /// A name, looked up in the destination's `/etc/passwd` or `/etc/group`.
    Name(String),
}

/// Owner of created files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChownOpt {
    /// The owning user; unset keeps the default (root).
    pub user: Option<UserOpt>,
    /// The owning group; unset: the user's.
    pub group: Option<UserOpt>,
}

impl ChownOpt {
    /// Parses `user[:group]` like Go `llb.WithUser`: `root` and 32-bit
    /// decimal numbers are ids, anything else a name.
    pub fn parse(spec: &str) -> ChownOpt {
        fn one(v: &str) -> UserOpt {
            if v == "root" {
                return UserOpt::Id(0);
            }
            match v.parse::<i32>() {
                Ok(n) => UserOpt::Id(n as u32),
                Err(_) => UserOpt::Name(v.to_string()),
            }
        }
        let mut parts = spec.splitn(2, ':');
        let user = parts.next().map(one);
        let group = parts.next().map(one);
        ChownOpt { user, group }
    }

    /// Numeric uid and gid.
    pub fn ids(uid: u32, gid: u32) -> ChownOpt {
        ChownOpt {
            user: Some(UserOpt::Id(uid)),
            group: Some(UserOpt::Id(gid)),
        }
    }

    fn to_pb(&self, base: i64) -> pb::ChownOpt {
        let one = |u: &UserOpt| pb::UserOpt {
            user: Some(match u {
                UserOpt::Id(id) => pb::user_opt::User::ById(*id),
                UserOpt::Name(name) => pb::user_opt::User::ByName(pb::NamedUserOpt {
                    name: name.clone(),
                    input: base,
                }),
            }),
        };
        pb::ChownOpt {
            user: self.user.as_ref().map(one),
            group: self.group.as_ref().map(one),
        }
    }
}

/// Options of a mkdir action.
#[derive(Debug, Clone, Default)]
pub struct MkdirOptions {
    /// Create missing parent directories (`mkdir -p`).
    pub make_parents: bool,
    /// The owner of the created directories.
    pub owner: Option<ChownOpt>,
    /// Unix nanoseconds; `None` = unset (`-1`).
    pub timestamp: Option<i64>,
}

/// Options of a mkfile action.
#[derive(Debug, Clone, Default)]
pub struct MkfileOptions {
    /// The owner of the file.
    pub owner: Option<ChownOpt>,
    /// Unix nanoseconds; `None` = unset (`-1`).
    pub timestamp: Option<i64>,
}

/// Options of an rm action.
#[derive(Debug, Clone, Default)]
pub struct RmOptions {
    /// A missing path is not an error.
    pub allow_not_found: bool,
    /// The path may hold wildcards.
    pub allow_wildcard: bool,
}

/// Options of a copy action (`FileActionCopy`).
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// `None` = unset (`-1`).
    pub mode: Option<i32>,
    /// Symbolic chmod string (cap `file.copy.modestring`, add it yourself).
    pub mode_str: String,
    /// Copy what a symlink source points to.
    pub follow_symlinks: bool,
    /// Copy a directory's contents, not the directory.
    pub dir_copy_contents: bool,
    /// Unpack a source archive (ADD).
    pub attempt_unpack: bool,
    /// Create the destination's missing parents.
    pub create_dest_path: bool,
    /// The source may hold wildcards.
    pub allow_wildcard: bool,
    /// A wildcard that matches nothing is not an error.
    pub allow_empty_wildcard: bool,
    /// Replace an existing destination even when it is a directory.
    pub always_replace_existing_dest_paths: bool,
    /// Only copy what matches (`--include`-style patterns).
    pub include_patterns: Vec<String>,
    /// Skip what matches (`COPY --exclude`).
    pub exclude_patterns: Vec<String>,
    /// Paths that must exist in the source.
    pub required_paths: Vec<String>,
    /// The owner of the copied files (`--chown`).
    pub owner: Option<ChownOpt>,
    /// Unix nanoseconds; `None` = unset (`-1`).
    pub timestamp: Option<i64>,
}

/// What a copy action reads from.
#[derive(Debug, Clone)]
pub enum CopyInput {
    /// The filesystem of a state (relative sources resolve against its dir).
    State(State),
    /// The result of another action chain run on a state.
    Action(FileAction, State),
}

#[derive(Debug, Clone)]
enum ActionKind {
    Mkdir {
        path: String,
        mode: u32,
        opts: MkdirOptions,
    },
    Mkfile {
        path: String,
        mode: u32,
        data: Vec<u8>,
        opts: MkfileOptions,
    },
    Rm {
        path: String,
        opts: RmOptions,
    },
    Copy {
        input: Box<CopyInput>,
        src: String,
        dest: String,
        /// Boxed: the options are most of a copy's size, and every action
        /// (a `WORKDIR`'s mkdir too) would otherwise be that large.
        opts: Box<CopyOptions>,
    },
    Symlink {
        oldpath: String,
        newpath: String,
        owner: Option<ChownOpt>,
        timestamp: Option<i64>,
    },
}

#[derive(Debug)]
struct Node {
    prev: Option<FileAction>,
    kind: ActionKind,
}

impl Node {
    /// Moves this node's edges (the previous action, a copy's input) to
    /// `edges`, leaving an action that holds none.
    fn detach_into(&mut self, edges: &mut Edges) {
        if let Some(prev) = self.prev.take() {
            edges.action(prev);
        }
        let empty = ActionKind::Rm {
            path: String::new(),
            opts: RmOptions::default(),
        };
        if let ActionKind::Copy { input, .. } = std::mem::replace(&mut self.kind, empty) {
            match *input {
                CopyInput::State(st) => edges.state(st),
                CopyInput::Action(chain, st) => {
                    edges.action(chain);
                    edges.state(st);
                }
            }
        }
    }
}

/// Iterative, like the vertex's (see `teardown`): a chain of 90,000 actions
/// must not recurse 90,000 times.
impl Drop for Node {
    fn drop(&mut self) {
        let mut edges = Edges::default();
        self.detach_into(&mut edges);
        edges.release();
    }
}

/// Releases one reference to a chain for the teardown: when it is the last,
/// the node's edges go to `edges` before the node is freed.
pub(super) fn detach(action: FileAction, edges: &mut Edges) {
    if let Some(mut node) = Arc::into_inner(action.0) {
        node.detach_into(edges);
    }
}

/// A chain of file actions, applied in order.
#[derive(Debug, Clone)]
pub struct FileAction(Arc<Node>);

impl FileAction {
    fn single(kind: ActionKind) -> FileAction {
        FileAction(Arc::new(Node { prev: None, kind }))
    }

    /// Creates a directory (`mode & 0o777`).
    pub fn mkdir(path: impl Into<String>, mode: u32, opts: MkdirOptions) -> FileAction {
        FileAction::single(ActionKind::Mkdir {
            path: path.into(),
            mode,
            opts,
        })
    }

    /// Creates a file with `data` (`mode & 0o777`).
    pub fn mkfile(
        path: impl Into<String>,
        mode: u32,
        data: impl Into<Vec<u8>>,
        opts: MkfileOptions,
    ) -> FileAction {
        FileAction::single(ActionKind::Mkfile {
            path: path.into(),
            mode,
            data: data.into(),
            opts,
        })
    }

    /// Removes a path.
    pub fn rm(path: impl Into<String>, opts: RmOptions) -> FileAction {
        FileAction::single(ActionKind::Rm {
            path: path.into(),
            opts,
        })
    }

    /// Copies `src` of `input` to `dest`.
    pub fn copy(
        input: CopyInput,
        src: impl Into<String>,
        dest: impl Into<String>,
        opts: CopyOptions,
    ) -> FileAction {
        FileAction::single(ActionKind::Copy {
            input: Box::new(input),
            src: src.into(),
            dest: dest.into(),
            opts: Box::new(opts),
        })
    }

    /// Creates a symlink `newpath -> oldpath`.
    pub fn symlink(
        oldpath: impl Into<String>,
        newpath: impl Into<String>,
        owner: Option<ChownOpt>,
        timestamp: Option<i64>,
    ) -> FileAction {
        FileAction::single(ActionKind::Symlink {
            oldpath: oldpath.into(),
            newpath: newpath.into(),
            owner,
            timestamp,
        })
    }

    /// Appends the actions of `next` after this chain.
    pub fn then(&self, next: FileAction) -> FileAction {
        let mut acc = self.clone();
        for kind in next.kinds() {
            acc = FileAction(Arc::new(Node {
                prev: Some(acc),
                kind,
            }));
        }
        acc
    }

    /// The actions of the chain, first to last.
    fn kinds(&self) -> Vec<ActionKind> {
        self.nodes().iter().map(|n| n.0.kind.clone()).collect()
    }

    /// The nodes of the chain, first to last.
    fn nodes(&self) -> Vec<FileAction> {
        let mut out = Vec::new();
        let mut cur = Some(self.clone());
        while let Some(n) = cur {
            cur = n.0.prev.clone();
            out.push(n);
        }
        out.reverse();
        out
    }

    /// Number of actions in the chain.
    pub fn len(&self) -> usize {
        self.nodes().len()
    }

    /// Always false: a chain has at least one action.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The payload of a file op: a chain bound to the state it runs on.
#[derive(Debug)]
pub(crate) struct FileData {
    pub(crate) chain: FileAction,
    pub(crate) base: State,
}

impl State {
    /// Runs a chain of file actions on this state (Go `State.File`).
    pub fn file(&self, action: FileAction, op: OpOptions) -> State {
        let vertex = Vertex::new(
            OpKind::File(FileData {
                chain: action,
                base: self.clone(),
            }),
            op,
        );
        self.with_output(Some(Output { vertex, index: 0 }))
    }
}

use crate::path::normalize as normalize_path;

struct ActionState {
    base: i64,
    input: i64,
    input_rel: Option<usize>,
    input2: i64,
    input2_rel: Option<usize>,
    node: FileAction,
    bound: State,
}

struct Builder<'a> {
    resolve: &'a Resolver<'a>,
    table: InputTable,
    actions: Vec<ActionState>,
}

impl Builder<'_> {
    /// Adds every action of `chain` bound to `bound`; returns the target
    /// index of the last one.
    fn add_chain(&mut self, chain: &FileAction, bound: &State) -> usize {
        let mut prev_target: Option<usize> = None;
        for node in chain.nodes() {
            let base = match &bound.output {
                Some(o) => self.table.add((self.resolve)(o)),
                None => -1,
            };
            let (input, input_rel) = match prev_target {
                None => (base, None),
                Some(t) => (-1, Some(t)),
            };
            let (mut input2, mut input2_rel) = (-1, None);
            if let ActionKind::Copy { input: src, .. } = &node.0.kind {
                match src.as_ref() {
                    CopyInput::State(st) => {
                        if let Some(o) = &st.output {
                            input2 = self.table.add((self.resolve)(o));
                        }
                    }
                    CopyInput::Action(fa, st) => {
                        input2_rel = Some(self.add_chain(fa, st));
                    }
                }
            }
            let target = self.actions.len();
            self.actions.push(ActionState {
                base,
                input,
                input_rel,
                input2,
                input2_rel,
                node,
                bound: bound.clone(),
            });
            prev_target = Some(target);
        }
        prev_target.unwrap_or(0)
    }
}

fn action_to_pb(kind: &ActionKind, parent: &str, base: i64) -> pb::file_action::Action {
    use pb::file_action::Action;
    let owner = |o: &Option<ChownOpt>| o.as_ref().map(|c| c.to_pb(base));
    let ts = |t: &Option<i64>| t.unwrap_or(-1);
    match kind {
        ActionKind::Mkdir { path, mode, opts } => Action::Mkdir(pb::FileActionMkDir {
            path: normalize_path(parent, path, false),
            mode: (mode & 0o777) as i32,
            make_parents: opts.make_parents,
            owner: owner(&opts.owner),
            timestamp: ts(&opts.timestamp),
        }),
        ActionKind::Mkfile {
            path,
            mode,
            data,
            opts,
        } => Action::Mkfile(pb::FileActionMkFile {
            path: normalize_path(parent, path, false),
            mode: (mode & 0o777) as i32,
            data: data.clone(),
            owner: owner(&opts.owner),
            timestamp: ts(&opts.timestamp),
        }),
        ActionKind::Rm { path, opts } => Action::Rm(pb::FileActionRm {
            path: normalize_path(parent, path, false),
            allow_not_found: opts.allow_not_found,
            allow_wildcard: opts.allow_wildcard,
        }),
        ActionKind::Copy {
            input,
            src,
            dest,
            opts,
        } => {
            let p = clean_path(src);
            let src_path = if p.starts_with('/') {
                join_path(&["/", &p])
            } else {
                let dir = match input.as_ref() {
                    CopyInput::State(st) | CopyInput::Action(_, st) => st.dir().to_string(),
                };
                join_path(&[&dir, &p])
            };
            Action::Copy(pb::FileActionCopy {
                src: src_path,
                dest: normalize_path(parent, dest, true),
                owner: owner(&opts.owner),
                mode: opts.mode.unwrap_or(-1),
                follow_symlink: opts.follow_symlinks,
                dir_copy_contents: opts.dir_copy_contents,
                attempt_unpack_docker_compatibility: opts.attempt_unpack,
                create_dest_path: opts.create_dest_path,
                allow_wildcard: opts.allow_wildcard,
                allow_empty_wildcard: opts.allow_empty_wildcard,
                timestamp: ts(&opts.timestamp),
                include_patterns: opts.include_patterns.clone(),
                exclude_patterns: opts.exclude_patterns.clone(),
                always_replace_existing_dest_paths: opts.always_replace_existing_dest_paths,
                mode_str: opts.mode_str.clone(),
                required_paths: opts.required_paths.clone(),
            })
        }
        ActionKind::Symlink {
            oldpath,
            newpath,
            owner: o,
            timestamp,
        } => Action::Symlink(pb::FileActionSymlink {
            oldpath: oldpath.clone(),
            newpath: normalize_path(parent, newpath, false),
            owner: owner(o),
            timestamp: ts(timestamp),
        }),
    }
}

impl FileData {
    /// Parents in Go's `allOutputs` order: from the last action backwards,
    /// each action's state, then its copy source.
    pub(crate) fn inputs(&self) -> Vec<Output> {
        let mut out = Vec::new();
        collect_outputs(&self.chain, &self.base, &mut out);
        out
    }

    pub(crate) fn to_parts(&self, resolve: &Resolver) -> OpParts<'static> {
        let mut b = Builder {
            resolve,
            table: InputTable::default(),
            actions: Vec::new(),
        };
        b.add_chain(&self.chain, &self.base);
        let n_inputs = b.table.len() as i64;
        let last = b.actions.len().saturating_sub(1);
        let mut caps = vec![caps::FILE_BASE];
        let actions = b
            .actions
            .iter()
            .enumerate()
            .map(|(i, st)| {
                if matches!(st.node.0.kind, ActionKind::Symlink { .. }) {
                    caps.push(caps::FILE_SYMLINK_CREATE);
                }
                let idx = |abs: i64, rel: Option<usize>| rel.map_or(abs, |r| n_inputs + r as i64);
                pb::FileAction {
                    input: idx(st.input, st.input_rel),
                    secondary_input: idx(st.input2, st.input2_rel),
                    output: if i == last { 0 } else { -1 },
                    action: Some(action_to_pb(&st.node.0.kind, st.bound.dir(), st.base)),
                }
            })
            .collect();
        OpParts {
            inputs: b.table.into_inputs(),
            op: pb::op::Op::File(pb::FileOp { actions }).into(),
            platform: None,
            caps,
        }
    }
}

fn collect_outputs(chain: &FileAction, bound: &State, out: &mut Vec<Output>) {
    let mut cur = Some(chain.clone());
    while let Some(node) = cur {
        if let Some(o) = &bound.output {
            out.push(o.clone());
        }
        if let ActionKind::Copy { input, .. } = &node.0.kind {
            match input.as_ref() {
                CopyInput::State(st) => {
                    if let Some(o) = &st.output {
                        out.push(o.clone());
                    }
                }
                CopyInput::Action(fa, st) => collect_outputs(fa, st, out),
            }
        }
        cur = node.0.prev.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_path_keeps_trailing_slash_for_copy_dest() {
        assert_eq!(normalize_path("/app", "sub/", true), "/app/sub/");
        assert_eq!(normalize_path("/app", ".", true), "/app");
        assert_eq!(normalize_path("/app", "./", true), "/app/");
        assert_eq!(normalize_path("/", "/x/.", true), "/x/.");
        assert_eq!(normalize_path("/app", "x/../y", false), "/app/y");
    }

    #[test]
    fn chown_parse_like_go() {
        assert_eq!(ChownOpt::parse("root:1000"), ChownOpt::ids(0, 1000));
        assert_eq!(
            ChownOpt::parse("app"),
            ChownOpt {
                user: Some(UserOpt::Name("app".into())),
                group: None
            }
        );
    }
}

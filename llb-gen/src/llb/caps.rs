//! LLB capability names, exactly as `solver/pb/caps.go` spells them (including
//! upstream's `soruce.http.uidgid` typo). [`crate::llb::MarshalOptions`] takes
//! the daemon's caps by these names; each op of the builder needs some.

/// Image sources (`docker-image://`).
pub const SOURCE_IMAGE: &str = "source.image";
/// The resolve mode attribute of image sources (pull, local).
pub const SOURCE_IMAGE_RESOLVE_MODE: &str = "source.image.resolvemode";
/// A layer limit on image sources.
pub const SOURCE_IMAGE_LAYER_LIMIT: &str = "source.image.layerlimit";
/// A checksum pinned on image sources.
pub const SOURCE_IMAGE_CHECKSUM: &str = "source.image.checksum";
/// Local sources (files sent by the client).
pub const SOURCE_LOCAL: &str = "source.local";
/// The unique id attribute of local sources.
pub const SOURCE_LOCAL_UNIQUE: &str = "source.local.unique";
/// The session id attribute of local sources.
pub const SOURCE_LOCAL_SESSION_ID: &str = "source.local.sessionid";
/// Include patterns on local sources.
pub const SOURCE_LOCAL_INCLUDE_PATTERNS: &str = "source.local.includepatterns";
/// Follow paths on local sources (transfer only these).
pub const SOURCE_LOCAL_FOLLOW_PATHS: &str = "source.local.followpaths";
/// Exclude patterns on local sources (`.dockerignore`).
pub const SOURCE_LOCAL_EXCLUDE_PATTERNS: &str = "source.local.excludepatterns";
/// The shared key hint of local sources.
pub const SOURCE_LOCAL_SHARED_KEY_HINT: &str = "source.local.sharedkeyhint";
/// The differ attribute of local sources.
pub const SOURCE_LOCAL_DIFFER: &str = "source.local.differ";
/// Git sources.
pub const SOURCE_GIT: &str = "source.git";
/// Keeping the `.git` directory of Git sources.
pub const SOURCE_GIT_KEEP_DIR: &str = "source.git.keepgitdir";
/// The full remote URL attribute of Git sources.
pub const SOURCE_GIT_FULL_URL: &str = "source.git.fullurl";
/// HTTP authentication for Git sources.
pub const SOURCE_GIT_HTTP_AUTH: &str = "source.git.httpauth";
/// Known SSH hosts for Git sources.
pub const SOURCE_GIT_KNOWN_SSH_HOSTS: &str = "source.git.knownsshhosts";
/// An SSH agent socket for Git sources.
pub const SOURCE_GIT_MOUNT_SSH_SOCK: &str = "source.git.mountsshsock";
/// A commit checksum pinned on Git sources.
pub const SOURCE_GIT_CHECKSUM: &str = "source.git.checksum";
/// Skipping submodules of Git sources.
pub const SOURCE_GIT_SKIP_SUBMODULES: &str = "source.git.skipsubmodules";
/// The file times of Git sources set from the commit.
pub const SOURCE_GIT_MTIME: &str = "source.git.mtime";
/// Fetching Git sources by commit.
pub const SOURCE_GIT_FETCH_BY_COMMIT: &str = "source.git.fetchbycommit";
/// HTTP(S) sources.
pub const SOURCE_HTTP: &str = "source.http";
/// A checksum pinned on HTTP sources.
pub const SOURCE_HTTP_CHECKSUM: &str = "source.http.checksum";
/// The file mode of HTTP sources.
pub const SOURCE_HTTP_PERM: &str = "source.http.perm";
/// The owner of HTTP sources (upstream's spelling, typo included).
pub const SOURCE_HTTP_UIDGID: &str = "soruce.http.uidgid";
/// Authentication for HTTP sources.
pub const SOURCE_HTTP_AUTH: &str = "source.http.auth";
/// OCI layout sources.
pub const SOURCE_OCI_LAYOUT: &str = "source.ocilayout";

/// The base exec metadata (args, env, cwd, user).
pub const EXEC_META_BASE: &str = "exec.meta.base";
/// A cgroup parent on exec ops.
pub const EXEC_META_CGROUP_PARENT: &str = "exec.meta.cgroup.parent";
/// The network mode of exec ops.
pub const EXEC_META_NETWORK: &str = "exec.meta.network";
/// Proxy variables passed to exec ops outside the cache key.
pub const EXEC_META_PROXY: &str = "exec.meta.proxyenv";
/// The security mode of exec ops (insecure).
pub const EXEC_META_SECURITY: &str = "exec.meta.security";
/// Exec ops that set the default `PATH` themselves.
pub const EXEC_META_SETS_DEFAULT_PATH: &str = "exec.meta.setsdefaultpath";
/// Ulimits on exec ops.
pub const EXEC_META_ULIMIT: &str = "exec.meta.ulimit";
/// CDI devices on exec ops.
pub const EXEC_META_CDI: &str = "exec.meta.cdi";
/// Linux resource limits on exec ops.
pub const EXEC_META_LINUX_RESOURCES: &str = "exec.meta.linux.resources";
/// Bind mounts.
pub const EXEC_MOUNT_BIND: &str = "exec.mount.bind";
/// Read-write bind mounts without an output.
pub const EXEC_MOUNT_BIND_READWRITE_NO_OUTPUT: &str = "exec.mount.bind.readwrite-nooutput";
/// Cache mounts.
pub const EXEC_MOUNT_CACHE: &str = "exec.mount.cache";
/// The sharing mode of cache mounts.
pub const EXEC_MOUNT_CACHE_SHARING: &str = "exec.mount.cache.sharing";
/// Mounting a path inside the source (selector).
pub const EXEC_MOUNT_SELECTOR: &str = "exec.mount.selector";
/// Tmpfs mounts.
pub const EXEC_MOUNT_TMPFS: &str = "exec.mount.tmpfs";
/// The size of tmpfs mounts.
pub const EXEC_MOUNT_TMPFS_SIZE: &str = "exec.mount.tmpfs.size";
/// Secret mounts.
pub const EXEC_MOUNT_SECRET: &str = "exec.mount.secret";
/// SSH agent mounts.
pub const EXEC_MOUNT_SSH: &str = "exec.mount.ssh";
/// The content-cache setting of mounts.
pub const EXEC_MOUNT_CONTENT_CACHE: &str = "exec.mount.cache.content";
/// Secrets as environment variables.
pub const EXEC_SECRET_ENV: &str = "exec.secretenv";
/// Exit codes other than 0 accepted as success.
pub const EXEC_VALID_EXIT_CODE: &str = "exec.validexitcode";

/// File ops (mkdir, mkfile, rm, copy).
pub const FILE_BASE: &str = "file.base";
/// Wildcards in file rm actions.
pub const FILE_RM_WILDCARD: &str = "file.rm.wildcard";
/// Include and exclude patterns on file copy actions.
pub const FILE_COPY_INCLUDE_EXCLUDE_PATTERNS: &str = "file.copy.includeexcludepatterns";
/// File copy actions that always replace an existing destination.
pub const FILE_COPY_ALWAYS_REPLACE_EXISTING_DEST_PATHS: &str =
    "file.copy.alwaysreplaceexistingdestpaths";
/// Symbolic modes (`u+x`) on file copy actions.
pub const FILE_COPY_MODE_STRING: &str = "file.copy.modestring";
/// Symlink actions in file ops.
pub const FILE_SYMLINK_CREATE: &str = "file.symlink.create";

/// Worker constraints on ops.
pub const CONSTRAINTS: &str = "constraints";
/// A platform on ops.
pub const PLATFORM: &str = "platform";
/// Ignoring the cache for an op (`no-cache`).
pub const META_IGNORE_CACHE: &str = "meta.ignorecache";
/// Descriptions (progress names) in op metadata.
pub const META_DESCRIPTION: &str = "meta.description";
/// The export-cache setting in op metadata.
pub const META_EXPORT_CACHE: &str = "meta.exportcache";

/// Merge ops (`COPY --link`).
pub const MERGE_OP: &str = "mergeop";
/// Diff ops.
pub const DIFF_OP: &str = "diffop";

//! A readable, deterministic text dump of a [`pb::Definition`], for snapshot
//! tests: one block per op in `def` order, headed by its position and digest
//! prefix; inputs name the op they point to (`#N`).

use std::collections::HashMap;
use std::fmt::Write as _;

use prost::Message;

use super::marshal::digest_of;
use crate::pb;

fn short(d: &str) -> &str {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    hex.get(..12).unwrap_or(hex)
}

fn platform(p: &pb::Platform) -> String {
    let mut s = format!("{}/{}", p.os, p.architecture);
    if !p.variant.is_empty() {
        s.push('/');
        s.push_str(&p.variant);
    }
    if !p.os_version.is_empty() {
        let _ = write!(s, " os.version={}", p.os_version);
    }
    if !p.os_features.is_empty() {
        let _ = write!(s, " os.features={:?}", p.os_features);
    }
    s
}

fn owner(o: &Option<pb::ChownOpt>) -> String {
    let Some(o) = o else { return String::new() };
    let one = |u: &Option<pb::UserOpt>| match u.as_ref().and_then(|u| u.user.as_ref()) {
        None => "-".to_string(),
        Some(pb::user_opt::User::ById(id)) => id.to_string(),
        Some(pb::user_opt::User::ByName(n)) => format!("{}@{}", n.name, n.input),
    };
    format!(" owner={}:{}", one(&o.user), one(&o.group))
}

/// Renders a Definition as text (see the module docs).
pub fn dump(def: &pb::Definition) -> String {
    let mut out = String::new();
    let pos = op_positions(def);
    for (i, bytes) in def.def.iter().enumerate() {
        let dgst = digest_of(bytes);
        let op = match pb::Op::decode(bytes.as_slice()) {
            Ok(op) => op,
            Err(e) => {
                let _ = writeln!(out, "#{i} {} <undecodable: {e}>", short(&dgst));
                continue;
            }
        };
        let _ = writeln!(out, "#{i} {} {}", short(&dgst), op_kind(&op));
        dump_op_header(&mut out, &op, &pos);
        dump_op_body(&mut out, &op);
        if let Some(md) = def.metadata.get(&dgst) {
            dump_metadata(&mut out, md);
        }
        if let Some(locs) = def.source.as_ref().and_then(|s| s.locations.get(&dgst)) {
            dump_locations(&mut out, locs);
        }
    }
    if let Some(src) = &def.source {
        dump_source_infos(&mut out, src);
    }
    out
}

/// The position in `def` of each op, by digest.
fn op_positions(def: &pb::Definition) -> HashMap<String, usize> {
    let mut pos: HashMap<String, usize> = HashMap::new();
    for (i, bytes) in def.def.iter().enumerate() {
        pos.insert(digest_of(bytes), i);
    }
    pos
}

/// The word naming the op's kind in its block's heading.
fn op_kind(op: &pb::Op) -> &'static str {
    match &op.op {
        None => "terminal",
        Some(pb::op::Op::Exec(_)) => "exec",
        Some(pb::op::Op::Source(_)) => "source",
        Some(pb::op::Op::File(_)) => "file",
        Some(pb::op::Op::Build(_)) => "build",
        Some(pb::op::Op::Merge(_)) => "merge",
        Some(pb::op::Op::Diff(_)) => "diff",
    }
}

/// The lines every kind of op has: its inputs, platform and constraints.
fn dump_op_header(out: &mut String, op: &pb::Op, pos: &HashMap<String, usize>) {
    for (j, inp) in op.inputs.iter().enumerate() {
        let target = pos
            .get(&inp.digest)
            .map_or_else(|| format!("?{}", short(&inp.digest)), |p| format!("#{p}"));
        let _ = writeln!(out, "  input {j}: {target}:{}", inp.index);
    }
    if let Some(p) = &op.platform {
        let _ = writeln!(out, "  platform: {}", platform(p));
    }
    if let Some(c) = &op.constraints {
        if !c.filter.is_empty() {
            let _ = writeln!(out, "  constraints: {:?}", c.filter);
        }
    }
}

/// The lines of the op's own kind.
fn dump_op_body(out: &mut String, op: &pb::Op) {
    match &op.op {
        Some(pb::op::Op::Source(s)) => dump_source(out, s),
        Some(pb::op::Op::Exec(e)) => dump_exec(out, e),
        Some(pb::op::Op::File(f)) => dump_file(out, f),
        Some(pb::op::Op::Merge(m)) => {
            let v: Vec<i64> = m.inputs.iter().map(|i| i.input).collect();
            let _ = writeln!(out, "  merge inputs: {v:?}");
        }
        Some(pb::op::Op::Diff(d)) => {
            let l = d.lower.map_or(-1, |x| x.input);
            let u = d.upper.map_or(-1, |x| x.input);
            let _ = writeln!(out, "  diff lower={l} upper={u}");
        }
        Some(pb::op::Op::Build(b)) => {
            let _ = writeln!(out, "  build builder={}", b.builder);
        }
        None => {}
    }
}

/// One `location:` line per source location of an op, its line ranges joined.
fn dump_locations(out: &mut String, locs: &pb::Locations) {
    for l in &locs.locations {
        let lines: Vec<String> = l
            .ranges
            .iter()
            .map(|r| {
                let s = r.start.map_or(0, |p| p.line);
                let e = r.end.map_or(0, |p| p.line);
                if s == e {
                    s.to_string()
                } else {
                    format!("{s}-{e}")
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "  location: source {} lines {}",
            l.source_index,
            lines.join(",")
        );
    }
}

/// The trailing `source N:` lines describing the source files.
fn dump_source_infos(out: &mut String, src: &pb::Source) {
    for (i, info) in src.infos.iter().enumerate() {
        let _ = writeln!(
            out,
            "source {i}: {:?} language={:?} {} bytes, definition: {}",
            info.filename,
            info.language,
            info.data.len(),
            info.definition.as_ref().map_or(0, |d| d.def.len())
        );
    }
}

fn dump_source(out: &mut String, s: &pb::SourceOp) {
    let _ = writeln!(out, "  identifier: {}", s.identifier);
    for (k, v) in &s.attrs {
        let _ = writeln!(out, "  attr {k} = {v:?}");
    }
}

fn dump_exec(out: &mut String, e: &pb::ExecOp) {
    if let Some(m) = &e.meta {
        dump_exec_meta(out, m);
    }
    if e.network != 0 {
        let _ = writeln!(
            out,
            "  network: {}",
            pb::NetMode::try_from(e.network).map_or("?", |n| n.as_str_name())
        );
    }
    if e.security != 0 {
        let _ = writeln!(
            out,
            "  security: {}",
            pb::SecurityMode::try_from(e.security).map_or("?", |n| n.as_str_name())
        );
    }
    for m in &e.mounts {
        let _ = writeln!(out, "{}", mount_line(m));
    }
    for s in &e.secretenv {
        let _ = writeln!(
            out,
            "  secretenv {}={:?} optional={}",
            s.name, s.id, s.optional
        );
    }
}

/// The lines of an exec's process: args, env, cwd and the optional settings.
fn dump_exec_meta(out: &mut String, m: &pb::Meta) {
    let _ = writeln!(out, "  args: {:?}", m.args);
    for env in &m.env {
        let _ = writeln!(out, "  env {env:?}");
    }
    let _ = writeln!(out, "  cwd: {:?}", m.cwd);
    if !m.user.is_empty() {
        let _ = writeln!(out, "  user: {:?}", m.user);
    }
    if !m.hostname.is_empty() {
        let _ = writeln!(out, "  hostname: {:?}", m.hostname);
    }
    if !m.cgroup_parent.is_empty() {
        let _ = writeln!(out, "  cgroup_parent: {:?}", m.cgroup_parent);
    }
    for h in &m.extra_hosts {
        let _ = writeln!(out, "  extra_host {}={}", h.host, h.ip);
    }
    for u in &m.ulimit {
        let _ = writeln!(out, "  ulimit {}={}:{}", u.name, u.soft, u.hard);
    }
    if let Some(p) = &m.proxy_env {
        let _ = writeln!(out, "  proxy_env: {p:?}");
    }
    if !m.valid_exit_codes.is_empty() {
        let _ = writeln!(out, "  valid_exit_codes: {:?}", m.valid_exit_codes);
    }
    if m.remove_mount_stubs_recursive {
        let _ = writeln!(out, "  remove_mount_stubs_recursive");
    }
}

/// One exec mount's `mount` line (without the newline).
fn mount_line(m: &pb::Mount) -> String {
    let ty = pb::MountType::try_from(m.mount_type).map_or("?", |t| t.as_str_name());
    let mut line = format!(
        "  mount {:?} {ty} input={} output={}",
        m.dest, m.input, m.output
    );
    if m.readonly {
        line.push_str(" readonly");
    }
    if !m.selector.is_empty() {
        let _ = write!(line, " selector={:?}", m.selector);
    }
    if let Some(c) = &m.cache_opt {
        let sharing = pb::CacheSharingOpt::try_from(c.sharing).map_or("?", |s| s.as_str_name());
        let _ = write!(line, " cache id={:?} sharing={sharing}", c.id);
    }
    if let Some(t) = &m.tmpfs_opt {
        let _ = write!(line, " size={}", t.size);
    }
    if let Some(s) = &m.secret_opt {
        let _ = write!(
            line,
            " secret id={:?} uid={} gid={} mode={:o} optional={}",
            s.id, s.uid, s.gid, s.mode, s.optional
        );
    }
    if let Some(s) = &m.ssh_opt {
        let _ = write!(
            line,
            " ssh id={:?} uid={} gid={} mode={:o} optional={}",
            s.id, s.uid, s.gid, s.mode, s.optional
        );
    }
    if m.content_cache != 0 {
        let _ = write!(line, " content_cache={}", m.content_cache);
    }
    line
}

fn dump_file(out: &mut String, f: &pb::FileOp) {
    use pb::file_action::Action;
    for (i, a) in f.actions.iter().enumerate() {
        let head = format!(
            "  action {i}: input={} secondary={} output={}",
            a.input, a.secondary_input, a.output
        );
        let body = match &a.action {
            None => "none".to_string(),
            Some(Action::Mkdir(m)) => format!(
                "mkdir {:?} mode={:o} parents={}{} ts={}",
                m.path,
                m.mode,
                m.make_parents,
                owner(&m.owner),
                m.timestamp
            ),
            Some(Action::Mkfile(m)) => format!(
                "mkfile {:?} mode={:o} data={:?}{} ts={}",
                m.path,
                m.mode,
                String::from_utf8_lossy(&m.data),
                owner(&m.owner),
                m.timestamp
            ),
            Some(Action::Rm(r)) => format!(
                "rm {:?} allow_not_found={} allow_wildcard={}",
                r.path, r.allow_not_found, r.allow_wildcard
            ),
            Some(Action::Symlink(s)) => {
                format!(
                    "symlink {:?} -> {:?}{} ts={}",
                    s.newpath,
                    s.oldpath,
                    owner(&s.owner),
                    s.timestamp
                )
            }
            Some(Action::Copy(c)) => {
                let mut s = format!("copy {:?} -> {:?}", c.src, c.dest);
                if c.mode != -1 {
                    let _ = write!(s, " mode={:o}", c.mode);
                }
                if !c.mode_str.is_empty() {
                    let _ = write!(s, " mode_str={:?}", c.mode_str);
                }
                s.push_str(&owner(&c.owner));
                for (flag, name) in [
                    (c.follow_symlink, "follow_symlink"),
                    (c.dir_copy_contents, "dir_copy_contents"),
                    (c.attempt_unpack_docker_compatibility, "attempt_unpack"),
                    (c.create_dest_path, "create_dest_path"),
                    (c.allow_wildcard, "allow_wildcard"),
                    (c.allow_empty_wildcard, "allow_empty_wildcard"),
                    (c.always_replace_existing_dest_paths, "always_replace"),
                ] {
                    if flag {
                        s.push(' ');
                        s.push_str(name);
                    }
                }
                if c.timestamp != -1 {
                    let _ = write!(s, " ts={}", c.timestamp);
                }
                if !c.include_patterns.is_empty() {
                    let _ = write!(s, " include={:?}", c.include_patterns);
                }
                if !c.exclude_patterns.is_empty() {
                    let _ = write!(s, " exclude={:?}", c.exclude_patterns);
                }
                if !c.required_paths.is_empty() {
                    let _ = write!(s, " required={:?}", c.required_paths);
                }
                s
            }
        };
        let _ = writeln!(out, "{head} {body}");
    }
}

fn dump_metadata(out: &mut String, md: &pb::OpMetadata) {
    if md.ignore_cache {
        let _ = writeln!(out, "  ignore_cache");
    }
    for (k, v) in &md.description {
        let _ = writeln!(out, "  description {k} = {v:?}");
    }
    if let Some(e) = &md.export_cache {
        let _ = writeln!(out, "  export_cache: {}", e.value);
    }
    if let Some(g) = &md.progress_group {
        let _ = writeln!(
            out,
            "  progress_group: id={:?} name={:?} weak={}",
            g.id, g.name, g.weak
        );
    }
    if !md.caps.is_empty() {
        let caps: Vec<&str> = md.caps.keys().map(String::as_str).collect();
        let _ = writeln!(out, "  caps: {}", caps.join(" "));
    }
}

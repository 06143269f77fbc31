//! `RUN --mount=<csv>`: parsing the option list (at lowering time) and
//! resolving it into a typed [`MountSpec`] (at dispatch time, after variable
//! expansion), with upstream's rules and defaults
//! (`instructions/commands_runmount.go`, `dockerfile2llb/convert_runmount.go`).

use crate::ir::error::{IrError, IrErrorKind};
use crate::ir::flags::sub_span;
use crate::ir::suggest::suggest;
use crate::ir::values::{parse_go_bool, ram_in_bytes};
use crate::ir::{CacheSharing, Mount, MountField, MountKey, MountSpec, MountType, Word};
use crate::path::{base as base_name, clean as clean_path};
use crate::syntax::SourceStr;
use crate::text::TextRange;
use std::borrow::Cow;

/// Every key `--mount` accepts, for suggestions.
const ALL_KEYS: &[&str] = &[
    "type",
    "from",
    "source",
    "src",
    "target",
    "dst",
    "destination",
    "readonly",
    "ro",
    "readwrite",
    "rw",
    "id",
    "sharing",
    "required",
    "size",
    "mode",
    "uid",
    "gid",
    "env",
];

const MOUNT_TYPES: &[&str] = &["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARING_MODES: &[&str] = &["shared", "private", "locked"];

impl MountKey {
    /// The key for a (lower-cased) option name, aliases included.
    pub fn from_name(name: &str) -> Option<MountKey> {
        Some(match name {
            "type" => MountKey::Type,
            "from" => MountKey::From,
            "source" | "src" => MountKey::Source,
            "target" | "dst" | "destination" => MountKey::Target,
            "readonly" | "ro" => MountKey::ReadOnly,
            "readwrite" | "rw" => MountKey::ReadWrite,
            "id" => MountKey::Id,
            "sharing" => MountKey::Sharing,
            "required" => MountKey::Required,
            "size" => MountKey::Size,
            "mode" => MountKey::Mode,
            "uid" => MountKey::Uid,
            "gid" => MountKey::Gid,
            "env" => MountKey::Env,
            _ => return None,
        })
    }

    /// The canonical option name.
    pub fn name(self) -> &'static str {
        match self {
            MountKey::Type => "type",
            MountKey::From => "from",
            MountKey::Source => "source",
            MountKey::Target => "target",
            MountKey::ReadOnly => "readonly",
            MountKey::ReadWrite => "readwrite",
            MountKey::Id => "id",
            MountKey::Sharing => "sharing",
            MountKey::Required => "required",
            MountKey::Size => "size",
            MountKey::Mode => "mode",
            MountKey::Uid => "uid",
            MountKey::Gid => "gid",
            MountKey::Env => "env",
        }
    }

    /// Keys that may be written without `=value`.
    fn allows_bare(self) -> bool {
        matches!(
            self,
            MountKey::ReadOnly | MountKey::ReadWrite | MountKey::Required
        )
    }
}

impl MountType {
    /// The name as written in `type=`.
    pub fn name(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }

    fn parse(s: &str) -> Option<MountType> {
        Some(match lowercase(s).as_ref() {
            "bind" => MountType::Bind,
            "cache" => MountType::Cache,
            "tmpfs" => MountType::Tmpfs,
            "secret" => MountType::Secret,
            "ssh" => MountType::Ssh,
            _ => return None,
        })
    }
}

/// `s` lower-cased as `str::to_lowercase` does it, borrowed when that changes
/// nothing: an ASCII text without an upper-case letter, as keys and values
/// nearly always are (no allocation per key).
fn lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// One CSV field: its unquoted text (a slice of the CSV string unless it was
/// quoted), its byte range in the CSV string, and whether it was quoted.
struct CsvField<'a> {
    text: Cow<'a, str>,
    range: std::ops::Range<usize>,
    quoted: bool,
}

/// Split one CSV record like Go's `encoding/csv` (comma separator, `"`
/// quoting with `""` as an escaped quote).
fn split_csv(s: &str) -> Result<Vec<CsvField<'_>>, String> {
    if s.is_empty() {
        return Err("empty mount definition".to_string());
    }
    let bytes = s.as_bytes();
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        if bytes.get(i) == Some(&b'"') {
            let mut text = String::new();
            i += 1;
            loop {
                let Some(rel) = s[i..].find('"') else {
                    return Err(format!(
                        "extraneous or missing `\"` in quoted field at column {}",
                        start + 1
                    ));
                };
                text.push_str(&s[i..i + rel]);
                i += rel + 1;
                match bytes.get(i) {
                    Some(b'"') => {
                        text.push('"');
                        i += 1;
                    }
                    Some(b',') | None => break,
                    Some(_) => {
                        return Err(format!(
                            "extraneous or missing `\"` in quoted field at column {}",
                            i + 1
                        ))
                    }
                }
            }
            fields.push(CsvField {
                text: Cow::Owned(text),
                range: start..i,
                quoted: true,
            });
        } else {
            // The first `,` or `"` from here: a quote before the comma is a
            // bare quote in this field.
            let end = bytes[i..]
                .iter()
                .position(|&b| b == b',' || b == b'"')
                .map_or(s.len(), |r| i + r);
            if bytes.get(end) == Some(&b'"') {
                return Err(format!(
                    "bare `\"` in non-quoted field at column {}",
                    end + 1
                ));
            }
            let text = &s[i..end];
            fields.push(CsvField {
                text: Cow::Borrowed(text),
                range: i..end,
                quoted: false,
            });
            i = end;
        }
        if i >= s.len() {
            break;
        }
        i += 1;
        if i == s.len() {
            fields.push(CsvField {
                text: Cow::Borrowed(""),
                range: i..i,
                quoted: false,
            });
            break;
        }
    }
    Ok(fields)
}

/// Parse the value of one `--mount` flag. `flag` is the whole flag word
/// (`--mount=...`). Structural errors (CSV syntax, unknown keys, bare keys
/// that need a value, `from` with a variable) are pushed to `errors`; value
/// checks that need expansion are left to [`Mount::resolve`], which is run
/// here already when the mount contains no `$`.
pub(super) fn parse_mount(flag: &Word, errors: &mut Vec<IrError>) -> Mount {
    let prefix = "--mount=".len();
    let csv = flag.value.get(prefix..).unwrap_or("");
    let mut mount = Mount {
        kind: MountType::Bind,
        from: None,
        fields: Vec::new(),
        span: flag.span,
    };
    let fields = match split_csv(csv) {
        Ok(f) => f,
        Err(detail) => {
            errors.push(IrError::new(IrErrorKind::MountSyntax { detail }, flag.span));
            return mount;
        }
    };
    mount.fields.reserve_exact(fields.len());
    for field in &fields {
        let Some(field) = parse_mount_field(flag, prefix, field, errors) else {
            continue;
        };
        note_type_and_from(&field, &mut mount);
        mount.fields.push(field);
    }
    check_mount_without_variables(&mount, errors);
    mount
}

/// One CSV field of the flag as a key and its value, spans pointing into the
/// flag (`prefix` is the length of `--mount=`). An unknown key, or a key that
/// needs a value but has none, pushes its error and gives `None`.
fn parse_mount_field(
    flag: &Word,
    prefix: usize,
    field: &CsvField<'_>,
    errors: &mut Vec<IrError>,
) -> Option<MountField> {
    let span_of = |r: std::ops::Range<usize>| -> TextRange {
        if field.quoted {
            sub_span(flag, prefix + field.range.start..prefix + field.range.end)
        } else {
            sub_span(flag, prefix + r.start..prefix + r.end)
        }
    };
    let field_span = span_of(field.range.clone());
    let (key_text, value) = match crate::text::split_once_ascii(&field.text, b'=') {
        Some((k, v)) => (k, Some(v)),
        // A bare word: only its first word can be a key.
        None => (field.text.split_whitespace().next().unwrap_or(""), None),
    };
    let key_lower = lowercase(key_text);
    let key_span = span_of(field.range.start..field.range.start + key_text.len());
    let Some(key) = MountKey::from_name(&key_lower) else {
        let key = key_lower.into_owned();
        let mut err = IrError::new(IrErrorKind::MountUnknownKey { key }, key_span);
        if let Some(s) = suggest(key_text, ALL_KEYS) {
            err = err.with_help(format!("did you mean `{s}`?"));
        }
        errors.push(err);
        return None;
    };
    if value.is_none() && !key.allows_bare() {
        errors.push(missing_value(key, key_span));
        return None;
    }
    let value = value.map(|v| {
        let start = field.range.start + key_text.len() + 1;
        // An unquoted field is the flag's own text at its range: share it.
        let text = match field.quoted {
            true => SourceStr::owned(v),
            false => flag.value.slice(prefix + start, prefix + start + v.len()),
        };
        Word::new(text, span_of(start..start + v.len()))
    });
    Some(MountField {
        key,
        value,
        span: field_span,
    })
}

/// What the mount needs before expansion: its kind from a literal `type=`,
/// and its `from` (which may not hold a variable).
fn note_type_and_from(field: &MountField, mount: &mut Mount) {
    if let (MountKey::Type, Some(v)) = (field.key, &field.value) {
        if let Some(t) = MountType::parse(&v.value) {
            mount.kind = t;
        }
    }
    if let (MountKey::From, Some(v)) = (field.key, &field.value) {
        mount.from = Some(v.clone());
    }
}

/// With no `$` in any value there is nothing to expand: run the value checks
/// of [`Mount::resolve`] now.
fn check_mount_without_variables(mount: &Mount, errors: &mut Vec<IrError>) {
    let has_dollar = mount
        .fields
        .iter()
        .any(|f| (f.value.as_ref()).is_some_and(|v| v.value.as_bytes().contains(&b'$')));
    if !has_dollar {
        let checked = mount
            .collect(&mut |w| Ok::<_, std::convert::Infallible>(Cow::Borrowed(&w.value)))
            .and_then(|c| check_target(&c, mount.span).map_err(MountFail::Ir));
        if let Err(MountFail::Ir(e)) = checked {
            errors.push(e);
        }
    }
}

/// The one check of [`build_spec`] that needs no working directory: an
/// absolute target of a bind, cache or tmpfs mount may not be `/`.
fn check_target(c: &Collected, whole: TextRange) -> Result<(), IrError> {
    match c.kind() {
        MountType::Bind | MountType::Cache | MountType::Tmpfs => {
            mount_target(c.target.as_ref(), whole, None).map(drop)
        }
        MountType::Secret | MountType::Ssh => Ok(()),
    }
}

/// `$` anywhere but as the last character (upstream's `\$.` check).
pub fn has_variable_before_end(s: &str) -> bool {
    s.bytes()
        .position(|b| b == b'$')
        .is_some_and(|i| i + 1 < s.len())
}

fn missing_value(key: MountKey, span: TextRange) -> IrError {
    IrError::new(
        IrErrorKind::MountMissingValue {
            key: key.name().to_string(),
        },
        span,
    )
    .with_help(format!("write `{}=<value>`", key.name()))
}

/// Why resolving a mount failed: an invalid value, or an expansion error of
/// the caller's type `E`.
enum MountFail<E> {
    Ir(IrError),
    Expand(E),
}

impl<E> From<IrError> for MountFail<E> {
    fn from(e: IrError) -> Self {
        MountFail::Ir(e)
    }
}

/// Values collected from the fields, each with the span of its field.
/// A value is borrowed from the mount when it needed no expansion.
#[derive(Default)]
struct Collected<'a> {
    ty: Option<(MountType, TextRange)>,
    from: Option<(Cow<'a, str>, TextRange)>,
    source: Option<(Cow<'a, str>, TextRange)>,
    target: Option<(Cow<'a, str>, TextRange)>,
    read_only: Option<bool>,
    id: Option<(Cow<'a, str>, TextRange)>,
    sharing: Option<(CacheSharing, TextRange)>,
    required: bool,
    size: Option<u64>,
    mode: Option<(u32, TextRange)>,
    uid: Option<(u32, TextRange)>,
    gid: Option<(u32, TextRange)>,
    env: Option<(Cow<'a, str>, TextRange)>,
}

impl Collected<'_> {
    fn kind(&self) -> MountType {
        self.ty.map_or(MountType::Bind, |t| t.0)
    }
}

fn invalid_value(key: &str, value: &str, expected: &str, span: TextRange) -> IrError {
    IrError::new(
        IrErrorKind::MountInvalidValue {
            key: key.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        },
        span,
    )
}

fn not_allowed(key: MountKey, ty: MountType, span: TextRange) -> IrError {
    let err = IrError::new(
        IrErrorKind::MountKeyNotAllowed {
            key: key.name().to_string(),
            mount_type: ty.name().to_string(),
        },
        span,
    );
    match key {
        MountKey::Required | MountKey::Size => err
            .with_help("options are read in order: put `type=...` before this option".to_string()),
        _ => err,
    }
}

fn invalid(detail: impl Into<String>, span: TextRange) -> IrError {
    IrError::new(
        IrErrorKind::MountInvalid {
            detail: detail.into(),
        },
        span,
    )
}

impl Mount {
    /// Expand the option values (all but `from`) with `expand`, validate them
    /// and apply upstream's defaults. `workdir` is the stage's working
    /// directory, used for relative targets. Errors are the caller's
    /// expansion errors or invalid values, as `E`. `expand` may return a
    /// word's own text, borrowed, when it has nothing to expand.
    pub fn resolve<'a, E: From<IrError>>(
        &'a self,
        expand: &mut dyn FnMut(&'a Word) -> Result<Cow<'a, str>, E>,
        workdir: &str,
    ) -> Result<MountSpec, E> {
        let c = self.collect(expand).map_err(|e| match e {
            MountFail::Ir(e) => e.into(),
            MountFail::Expand(e) => e,
        })?;
        Ok(build_spec(c, self.span, Some(workdir))?)
    }

    /// The fields' values, expanded and checked against each other.
    fn collect<'a, E>(
        &'a self,
        expand: &mut dyn FnMut(&'a Word) -> Result<Cow<'a, str>, E>,
    ) -> Result<Collected<'a>, MountFail<E>> {
        let mut c = Collected::default();
        for field in &self.fields {
            self.apply_field(field, &mut c, expand)?;
        }
        validate(&c, self.span)?;
        Ok(c)
    }

    fn apply_field<'a, E>(
        &'a self,
        field: &'a MountField,
        c: &mut Collected<'a>,
        expand: &mut dyn FnMut(&'a Word) -> Result<Cow<'a, str>, E>,
    ) -> Result<(), MountFail<E>> {
        let Some(word) = &field.value else {
            return apply_bare_key(field, c).map_err(MountFail::Ir);
        };
        let value = if field.key == MountKey::From {
            Cow::Borrowed(word.value.as_str())
        } else {
            expand(word).map_err(MountFail::Expand)?
        };
        apply_value(field.key, value, field.span, c)?;
        Ok(())
    }
}

/// A key written without `=value`: `readonly`, `readwrite`, or `required`
/// (on secret and ssh mounts only).
fn apply_bare_key(field: &MountField, c: &mut Collected) -> Result<(), IrError> {
    let span = field.span;
    let kind = c.kind();
    match field.key {
        MountKey::ReadOnly => c.read_only = Some(true),
        MountKey::ReadWrite => c.read_only = Some(false),
        MountKey::Required if matches!(kind, MountType::Secret | MountType::Ssh) => {
            c.required = true;
        }
        MountKey::Required => return Err(not_allowed(field.key, kind, span)),
        key => return Err(missing_value(key, span)),
    }
    Ok(())
}

/// Check and record the (expanded) value of one key, against the mount type
/// set so far.
fn apply_value<'a>(
    field_key: MountKey,
    value: Cow<'a, str>,
    span: TextRange,
    c: &mut Collected<'a>,
) -> Result<(), IrError> {
    let kind = c.kind();
    let key = field_key.name();
    let bool_value =
        |v: &str| parse_go_bool(v).ok_or_else(|| invalid_value(key, v, "`true` or `false`", span));
    match field_key {
        MountKey::Type => c.ty = Some((parse_type_value(&value, span)?, span)),
        MountKey::From => c.from = Some((value, span)),
        MountKey::Source => c.source = Some((value, span)),
        MountKey::Target => c.target = Some((value, span)),
        MountKey::ReadOnly => c.read_only = Some(bool_value(&value)?),
        MountKey::ReadWrite => c.read_only = Some(!bool_value(&value)?),
        MountKey::Required => {
            if !matches!(kind, MountType::Secret | MountType::Ssh) {
                return Err(not_allowed(field_key, kind, span));
            }
            c.required = bool_value(&value)?;
        }
        MountKey::Size => {
            if kind != MountType::Tmpfs {
                return Err(not_allowed(field_key, kind, span));
            }
            let size = ram_in_bytes(&value)
                .ok_or_else(|| invalid_value(key, &value, "a size like `64m` or `1g`", span))?;
            c.size = Some(size);
        }
        MountKey::Id => c.id = Some((value, span)),
        MountKey::Sharing => c.sharing = Some((parse_sharing_value(&value, span)?, span)),
        MountKey::Mode => {
            let m = u32::from_str_radix(&value, 8)
                .map_err(|_| invalid_value(key, &value, "an octal number like 0755", span))?;
            c.mode = Some((m, span));
        }
        MountKey::Uid | MountKey::Gid => {
            let n: u32 = value
                .parse()
                .map_err(|_| invalid_value(key, &value, "a decimal number like 1000", span))?;
            if field_key == MountKey::Uid {
                c.uid = Some((n, span));
            } else {
                c.gid = Some((n, span));
            }
        }
        MountKey::Env => c.env = Some((value, span)),
    }
    Ok(())
}

/// The value of `type=`, with a suggestion when it is misspelt.
fn parse_type_value(value: &str, span: TextRange) -> Result<MountType, IrError> {
    MountType::parse(value).ok_or_else(|| {
        let key = MountKey::Type.name();
        let err = invalid_value(key, value, "one of bind, cache, tmpfs, secret, ssh", span);
        match suggest(value, MOUNT_TYPES) {
            Some(s) => err.with_help(format!("did you mean `type={s}`?")),
            None => err,
        }
    })
}

/// The value of `sharing=`, with a suggestion when it is misspelt.
fn parse_sharing_value(value: &str, span: TextRange) -> Result<CacheSharing, IrError> {
    match lowercase(value).as_ref() {
        "shared" => Ok(CacheSharing::Shared),
        "private" => Ok(CacheSharing::Private),
        "locked" => Ok(CacheSharing::Locked),
        _ => {
            let key = MountKey::Sharing.name();
            let err = invalid_value(key, value, "one of shared, private, locked", span);
            Err(match suggest(value, SHARING_MODES) {
                Some(s) => err.with_help(format!("did you mean `sharing={s}`?")),
                None => err,
            })
        }
    }
}

fn validate(c: &Collected, whole: TextRange) -> Result<(), IrError> {
    let kind = c.kind();
    if !matches!(kind, MountType::Secret | MountType::Ssh | MountType::Cache) {
        for (key, v) in [
            (MountKey::Mode, c.mode),
            (MountKey::Uid, c.uid),
            (MountKey::Gid, c.gid),
        ] {
            if let Some((_, span)) = v {
                return Err(not_allowed(key, kind, span));
            }
        }
    }
    if kind == MountType::Secret {
        if let Some((_, span)) = &c.from {
            return Err(not_allowed(MountKey::From, kind, *span));
        }
        if let Some((_, span)) = &c.sharing {
            return Err(not_allowed(MountKey::Sharing, kind, *span));
        }
        if c.source.is_none() && c.target.is_none() && c.id.is_none() {
            return Err(invalid(
                "secret mount requires one of `id`, `source` or `target`",
                whole,
            ));
        }
        if let (Some(_), Some((_, span))) = (&c.source, &c.id) {
            return Err(invalid(
                "`source` and `id` can't both be set on a secret mount (`source` is an alias of `id`)",
                *span,
            ));
        }
    }
    if let Some((_, span)) = &c.sharing {
        if kind != MountType::Cache {
            return Err(not_allowed(MountKey::Sharing, kind, *span));
        }
    }
    if kind == MountType::Ssh {
        if let Some((_, span)) = &c.source {
            return Err(not_allowed(MountKey::Source, kind, *span));
        }
    }
    if let Some((_, span)) = &c.env {
        if kind != MountType::Secret {
            return Err(not_allowed(MountKey::Env, kind, *span));
        }
    }
    Ok(())
}

/// The mount point of a bind/cache/tmpfs mount: relative targets are joined
/// to the workdir; `/` is rejected. Without a workdir (lowering time) only
/// absolute targets are checked.
fn mount_target<'a>(
    target: Option<&'a (Cow<'_, str>, TextRange)>,
    whole: TextRange,
    workdir: Option<&str>,
) -> Result<Cow<'a, str>, IrError> {
    let (raw, span) = target.map_or(("", whole), |(t, s)| (t.as_ref(), *s));
    // `path.Clean` keeps a leading `/` and never adds one.
    let resolved = match (raw.starts_with('/'), workdir) {
        (true, _) => Cow::Borrowed(raw),
        (false, Some(dir)) => {
            Cow::Owned(crate::path::join(&[&crate::path::join(&["/", dir]), raw]))
        }
        (false, None) => return Ok(Cow::Borrowed(raw)),
    };
    if crate::path::clean_cow(&resolved) == "/" {
        return Err(invalid("invalid mount target `/`", span)
            .with_help("mount somewhere below the root, e.g. `target=/src`"));
    }
    Ok(resolved)
}

fn build_spec(c: Collected, whole: TextRange, workdir: Option<&str>) -> Result<MountSpec, IrError> {
    let kind = c.kind();
    let read_only = c
        .read_only
        .unwrap_or(!matches!(kind, MountType::Cache | MountType::Tmpfs));
    let val = |v: Option<(Cow<'_, str>, TextRange)>| v.map(|(s, _)| s.into_owned());
    let num = |v: Option<(u32, TextRange)>| v.map(|(n, _)| n);
    Ok(match kind {
        MountType::Bind => MountSpec::Bind {
            target: mount_target(c.target.as_ref(), whole, workdir)?.into_owned(),
            source: val(c.source),
            from: val(c.from),
            read_write: !read_only,
        },
        MountType::Cache => {
            let target = mount_target(c.target.as_ref(), whole, workdir)?.into_owned();
            let raw_target = c.target.as_ref().map_or("", |t| t.0.as_ref());
            MountSpec::Cache {
                id: val(c.id).unwrap_or_else(|| clean_path(raw_target)),
                target,
                read_only,
                sharing: c.sharing.map_or(CacheSharing::Shared, |s| s.0),
                from: val(c.from),
                source: val(c.source),
                mode: num(c.mode),
                uid: num(c.uid),
                gid: num(c.gid),
            }
        }
        MountType::Tmpfs => MountSpec::Tmpfs {
            target: mount_target(c.target.as_ref(), whole, workdir)?.into_owned(),
            size: c.size,
        },
        MountType::Secret => {
            let target = val(c.target);
            let id = val(c.id)
                .or(val(c.source))
                .unwrap_or_else(|| base_name(target.as_deref().unwrap_or("")));
            let env = val(c.env);
            let target = match (&target, &env) {
                (None, None) => Some(format!("/run/secrets/{}", base_name(&id))),
                _ => target,
            };
            MountSpec::Secret {
                id,
                target,
                env,
                required: c.required,
                mode: num(c.mode).unwrap_or(0o400),
                uid: num(c.uid).unwrap_or(0),
                gid: num(c.gid).unwrap_or(0),
            }
        }
        MountType::Ssh => MountSpec::Ssh {
            id: val(c.id)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "default".to_string()),
            target: val(c.target),
            required: c.required,
            mode: num(c.mode).unwrap_or(0o600),
            uid: num(c.uid).unwrap_or(0),
            gid: num(c.gid).unwrap_or(0),
        },
    })
}

#[cfg(test)]
#[path = "mount_tests.rs"]
mod tests;

//! The OCI image config (Docker flavour) and its history, with JSON field
//! names and order as upstream's `dockerspec.DockerOCIImage` marshals them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::api::Platform;

/// The comment on every history entry the Dockerfile frontend adds.
pub(crate) const HISTORY_COMMENT: &str = "buildkit.dockerfile.v0";

/// What [`Image::commit`] appends to the history of RUN, COPY and ADD.
pub(crate) const BUILDKIT_SUFFIX: &str = " # buildkit";

/// Default `PATH` for non-Windows images.
pub(crate) const DEFAULT_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// An empty JSON object (`struct{}` values of `ExposedPorts` / `Volumes`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Empty {}

/// `dockerspec.DockerOCIImage`: unknown fields are dropped like Go does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Image {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub author: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(
        rename = "os.version",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub os_version: String,
    #[serde(
        rename = "os.features",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub os_features: Option<Vec<String>>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub variant: String,
    #[serde(default)]
    pub rootfs: RootFs,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub history: Option<Vec<History>>,
    #[serde(default)]
    pub config: ImageConfig,
    /// Where each key of `config.env` sits (a cache for [`Image::add_env`]).
    #[serde(skip)]
    pub(crate) env_index: EnvIndex,
}

/// The position of each key in `config.env`, so that setting one is O(1)
/// instead of a scan (20,000 `ENV` lines were quadratic). A cache, not part
/// of the value: it is rebuilt whenever `config.env` changed length behind
/// its back, and never compared. FxHash: a variable name is short, and colliding names could
/// only slow the build of the file that chose them (SipHash was about 200 instructions a key).
#[derive(Clone, Default)]
pub(crate) struct EnvIndex {
    positions: std::collections::HashMap<String, usize, rustc_hash::FxBuildHasher>,
    len: usize,
}

impl EnvIndex {
    /// The position of `key` in `env`, rebuilding the index when stale.
    fn find(&mut self, env: &[String], key: &str) -> Option<usize> {
        let fresh = self.len == env.len()
            && self
                .positions
                .get(key)
                .is_none_or(|&i| env.get(i).is_some_and(|e| env_key(e) == key));
        if !fresh {
            self.positions.clear();
            for (i, e) in env.iter().enumerate() {
                self.positions.entry(env_key(e).to_string()).or_insert(i);
            }
            self.len = env.len();
        }
        self.positions.get(key).copied()
    }

    fn pushed(&mut self, key: &str, at: usize) {
        self.positions.insert(key.to_string(), at);
        self.len = at + 1;
    }
}

impl PartialEq for EnvIndex {
    fn eq(&self, _: &EnvIndex) -> bool {
        true
    }
}

impl Eq for EnvIndex {}

impl std::fmt::Debug for EnvIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvIndex")
    }
}

/// The key of a `KEY=value` entry (the whole entry when it has no `=`).
fn env_key(entry: &str) -> &str {
    entry.split('=').next().unwrap_or(entry)
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RootFs {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub diff_ids: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct History {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub created_by: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub author: String,
    /// Nearly always [`HISTORY_COMMENT`]: borrowed, not a string per entry.
    #[serde(skip_serializing_if = "str::is_empty", default)]
    pub comment: std::borrow::Cow<'static, str>,
    #[serde(skip_serializing_if = "is_false", default)]
    pub empty_layer: bool,
}

/// Go `omitempty` on a slice: nil and empty are both left out.
fn no_items<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().is_none_or(Vec::is_empty)
}

/// Go `omitempty` on a map: nil and empty are both left out.
fn no_entries<K, V>(v: &Option<BTreeMap<K, V>>) -> bool {
    v.as_ref().is_none_or(BTreeMap::is_empty)
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `dockerspec.DockerOCIImageConfig` (OCI `ImageConfig` plus Docker's
/// Healthcheck/OnBuild/Shell).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ImageConfig {
    #[serde(rename = "User", skip_serializing_if = "String::is_empty", default)]
    pub user: String,
    #[serde(rename = "ExposedPorts", skip_serializing_if = "no_entries", default)]
    pub exposed_ports: Option<BTreeMap<String, Empty>>,
    #[serde(rename = "Env", skip_serializing_if = "no_items", default)]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Entrypoint", skip_serializing_if = "no_items", default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd", skip_serializing_if = "no_items", default)]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Volumes", skip_serializing_if = "no_entries", default)]
    pub volumes: Option<BTreeMap<String, Empty>>,
    #[serde(
        rename = "WorkingDir",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub working_dir: String,
    #[serde(rename = "Labels", skip_serializing_if = "no_entries", default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(
        rename = "StopSignal",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub stop_signal: String,
    #[serde(rename = "ArgsEscaped", skip_serializing_if = "is_false", default)]
    pub args_escaped: bool,
    #[serde(
        rename = "Healthcheck",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub healthcheck: Option<HealthConfig>,
    #[serde(rename = "OnBuild", skip_serializing_if = "no_items", default)]
    pub on_build: Option<Vec<String>>,
    #[serde(rename = "Shell", skip_serializing_if = "no_items", default)]
    pub shell: Option<Vec<String>>,
}

/// `HealthcheckConfig`; durations in nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HealthConfig {
    #[serde(rename = "Test", skip_serializing_if = "no_items", default)]
    pub test: Option<Vec<String>>,
    #[serde(rename = "Interval", skip_serializing_if = "is_zero", default)]
    pub interval: i64,
    #[serde(rename = "Timeout", skip_serializing_if = "is_zero", default)]
    pub timeout: i64,
    #[serde(rename = "StartPeriod", skip_serializing_if = "is_zero", default)]
    pub start_period: i64,
    #[serde(rename = "StartInterval", skip_serializing_if = "is_zero", default)]
    pub start_interval: i64,
    #[serde(rename = "Retries", skip_serializing_if = "is_zero_i32", default)]
    pub retries: i32,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

impl Image {
    /// Parse a base image config; unknown fields are ignored.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Image, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("failed to parse image config: {e}"))
    }

    /// The config upstream uses for `FROM scratch` (`emptyImage`).
    pub(crate) fn empty(platform: &Platform) -> Image {
        let mut img = Image {
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            variant: platform.variant.clone().unwrap_or_default(),
            os_version: platform.os_version.clone().unwrap_or_default(),
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: None,
            },
            ..Image::default()
        };
        img.config.working_dir = "/".into();
        if platform.os != "windows" {
            img.config.env = Some(vec![format!("PATH={DEFAULT_PATH}")]);
        }
        img
    }

    /// JSON bytes as upstream marshals them (compact).
    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// True when the config has no layers (treated like scratch).
    pub(crate) fn has_no_layers(&self) -> bool {
        let no_diffs = self.rootfs.diff_ids.as_ref().is_none_or(|d| d.is_empty());
        no_diffs
            && self
                .history
                .as_ref()
                .is_none_or(|h| h.iter().all(|e| e.empty_layer))
    }

    /// Append a history entry (`commitToHistory`). `buildkit_suffix` adds
    /// ` # buildkit` (RUN, COPY, ADD).
    pub(crate) fn commit(
        &mut self,
        msg: String,
        with_layer: bool,
        buildkit_suffix: bool,
        epoch: Option<&str>,
    ) {
        let mut created_by = msg;
        if buildkit_suffix {
            created_by.push_str(BUILDKIT_SUFFIX);
        }
        self.history.get_or_insert_with(Vec::new).push(History {
            created: epoch.map(str::to_string),
            created_by,
            author: String::new(),
            comment: std::borrow::Cow::Borrowed(HISTORY_COMMENT),
            empty_layer: !with_layer,
        });
    }

    /// Makes room for `n` more history entries (a stage's instructions, one entry each at
    /// most), so that the history is not grown by copying; give the answer to
    /// [`Image::reserved_history`] after them.
    pub(crate) fn reserve_history(&mut self, n: usize) -> HistoryReserved {
        let was_absent = self.history.is_none();
        if n > 0 {
            self.history.get_or_insert_with(Vec::new).reserve(n);
        }
        HistoryReserved { was_absent }
    }

    /// An absent history made present by [`Image::reserve_history`] and still empty is absent
    /// again (the config's JSON leaves it out).
    pub(crate) fn reserved_history(&mut self, r: HistoryReserved) {
        if r.was_absent && self.history.as_ref().is_some_and(Vec::is_empty) {
            self.history = None;
        }
    }

    /// Set or replace `k` in the config env, keeping its position (`addEnv`).
    pub(crate) fn add_env(&mut self, key: &str, value: &str) {
        let env = self.config.env.get_or_insert_with(Vec::new);
        let entry = <[&str]>::concat(&[key, "=", value]);
        match self.env_index.find(env, key) {
            Some(i) => env[i] = entry,
            None => {
                env.push(entry);
                self.env_index.pushed(key, env.len() - 1);
            }
        }
    }

    /// The value of `key` in the config env.
    pub(crate) fn env_get(&self, key: &str) -> Option<&str> {
        self.config.env.as_ref()?.iter().find_map(|e| {
            let (k, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
            (k == key).then_some(v)
        })
    }
}

/// Whether [`Image::reserve_history`] found the history absent.
#[must_use]
pub(crate) struct HistoryReserved {
    was_absent: bool,
}

/// Go's `%q` of a string slice: `["a" "b"]`.
pub(crate) fn go_quote_list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    <[&str]>::concat(&["[", &parts.join(" "), "]"])
}

/// Go's `%v` of a string slice: `[a b]`.
pub(crate) fn go_list(items: &[String]) -> String {
    <[&str]>::concat(&["[", &items.join(" "), "]"])
}

pub(crate) use crate::syntax::go_quote;

/// Go's `time.Duration.String()`.
pub(crate) fn go_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut s = if u < 1_000_000_000 {
        // Sub-second: ns, µs or ms with a fraction.
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        format!("{}{unit}", frac(u, div))
    } else {
        let secs_total = u / 1_000_000_000;
        let nanos = u % 1_000_000_000;
        let h = secs_total / 3600;
        let m = (secs_total % 3600) / 60;
        let s = secs_total % 60;
        let secs = frac(s * 1_000_000_000 + nanos, 1_000_000_000);
        let mut out = String::new();
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&format!("{secs}s"));
        out
    };
    if neg {
        s.insert(0, '-');
    }
    s
}

fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Nanoseconds of a duration, saturating.
pub(crate) fn nanos(d: Option<Duration>) -> i64 {
    d.map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// History text of a healthcheck (Go `%+v` of `HealthcheckConfig`).
pub(crate) fn healthcheck_history(h: &HealthConfig) -> String {
    let test = h.test.clone().unwrap_or_default();
    format!(
        "HEALTHCHECK {{Test:{} Interval:{} Timeout:{} StartPeriod:{} StartInterval:{} Retries:{}}}",
        go_list(&test),
        go_duration(h.interval),
        go_duration(h.timeout),
        go_duration(h.start_period),
        go_duration(h.start_interval),
        h.retries
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_format_like_go() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(30_000_000_000), "30s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(500_000_000), "500ms");
        assert_eq!(go_duration(1_500), "1.5µs");
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(
            go_quote_list(&["a b".into(), "c\"".into()]),
            r#"["a b" "c\""]"#
        );
    }

    #[test]
    fn image_json_field_order() {
        let mut img = Image::empty(&Platform::linux_amd64());
        img.commit("ENV A=b".into(), false, false, None);
        img.add_env("A", "b");
        let json = String::from_utf8(img.to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":null},"history":[{"created_by":"ENV A=b","comment":"buildkit.dockerfile.v0","empty_layer":true}],"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=b"],"WorkingDir":"/"}}"#
        );
    }

    #[test]
    fn unknown_fields_are_dropped() {
        let img = Image::from_json(
            br#"{"os":"linux","container_config":{"X":1},"config":{"Env":["A=1"],"Foo":2}}"#,
        )
        .unwrap();
        assert_eq!(img.env_get("A"), Some("1"));
    }
}

//! ARG/ENV scoping: the ordered env list, global (meta) args with build-arg
//! overrides, proxy args, and per-stage declared args for history strings.

use std::collections::BTreeMap;

use crate::ir::ArgInstruction;

use super::expand::{expand_word, Env};

/// An ordered list of `key=value` (Go `llb.EnvList`): setting a key removes
/// the old entry and appends the new one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvList {
    items: crate::llb::Env,
}

impl EnvList {
    pub(crate) fn add_or_replace(&mut self, key: &str, value: &str) {
        self.items.set(key, value);
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.items.get(key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.items.iter()
    }
}

impl Env for EnvList {
    fn lookup(&self, key: &str) -> Option<&str> {
        self.get(key)
    }
}

/// One declared build arg in a stage (`instructions.KeyValuePairOptional`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeclaredArg {
    pub key: String,
    pub value: Option<String>,
}

/// Evaluate the ARGs before the first FROM: a build-arg wins, else the
/// default is expanded against the globals so far (`buildMetaArgs`).
pub(crate) fn build_meta_args(
    mut globals: EnvList,
    meta: &[ArgInstruction],
    build_args: &BTreeMap<String, String>,
    escape: char,
) -> Result<EnvList, super::Error> {
    for cmd in meta {
        for decl in &cmd.args {
            let key = decl.name.value.as_str();
            let value = if let Some(v) = build_args.get(key) {
                Some(v.clone())
            } else if let Some(def) = &decl.default {
                Some(
                    expand_word(&def.value, &globals, escape)
                        .map_err(|e| super::Error::word(e, def.span))?,
                )
            } else {
                None
            };
            if let Some(v) = value {
                globals.add_or_replace(key, &v);
            }
        }
    }
    Ok(globals)
}

/// Proxy settings taken from build args whether declared or not
/// (`proxyEnvFromBuildArgs`); keys matched case-insensitively, in key order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ProxyArgs {
    pub http_proxy: String,
    pub https_proxy: String,
    pub ftp_proxy: String,
    pub no_proxy: String,
    pub all_proxy: String,
}

pub(crate) fn proxy_from_build_args(args: &BTreeMap<String, String>) -> Option<ProxyArgs> {
    let mut pe = ProxyArgs::default();
    let mut set = false;
    for (k, v) in args {
        let slot = match k.to_ascii_lowercase().as_str() {
            "http_proxy" => &mut pe.http_proxy,
            "https_proxy" => &mut pe.https_proxy,
            "ftp_proxy" => &mut pe.ftp_proxy,
            "no_proxy" => &mut pe.no_proxy,
            "all_proxy" => &mut pe.all_proxy,
            _ => continue,
        };
        *slot = v.clone();
        set = true;
    }
    set.then_some(pe)
}

/// Args that are declared but never put into the env.
pub(crate) fn is_non_env_arg(key: &str) -> bool {
    key == "BUILDKIT_SBOM_SCAN_CONTEXT" || key == "BUILDKIT_SBOM_SCAN_STAGE"
}

/// How many distinct ARGs [`run_command_string`] finds by a scan before it maps them.
const SCANNED_ARGS: usize = 16;

/// The `|N k=v ...` prefix of RUN history (`runCommandString`).
pub(crate) fn run_command_string(
    args: &[String],
    declared: &[DeclaredArg],
    env: &dyn Env,
) -> String {
    let mut tmp: Vec<(&str, &str)> = Vec::with_capacity(declared.len());
    // Where each key sits in `tmp`, once there are enough to make a scan per ARG dear (it
    // was quadratic); a few are found by a scan, without hashing.
    let mut at: Option<std::collections::HashMap<&str, usize>> = None;
    for arg in declared {
        let key = arg.key.as_str();
        let v = env
            .lookup(key)
            .unwrap_or_else(|| arg.value.as_deref().unwrap_or_default());
        let found = match &at {
            Some(at) => at.get(key).copied(),
            None => tmp.iter().position(|(k, _)| *k == key),
        };
        match found {
            Some(i) => tmp[i].1 = v,
            None => {
                if let Some(at) = &mut at {
                    at.insert(key, tmp.len());
                }
                tmp.push((key, v));
                if at.is_none() && tmp.len() >= SCANNED_ARGS {
                    at = Some(tmp.iter().enumerate().map(|(i, (k, _))| (*k, i)).collect());
                }
            }
        }
    }
    // The parts joined by single spaces, written into one string sized once (the count's
    // digits at most 20).
    let len = 21
        + tmp
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>()
        + args.iter().map(|a| a.len() + 1).sum::<usize>();
    let mut out = String::with_capacity(len);
    let mut sep = "";
    if !tmp.is_empty() {
        out.push('|');
        out.push_str(&tmp.len().to_string());
        sep = " ";
        for (k, v) in tmp {
            out.push_str(sep);
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
    }
    for a in args {
        out.push_str(sep);
        out.push_str(a);
        sep = " ";
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ir::{ArgDecl, CommandInfo};
    use crate::text::{Spanned, TextRange};

    fn w(s: &str) -> Spanned<crate::syntax::SourceStr> {
        Spanned::new(s.into(), TextRange::empty(0))
    }

    fn arg(name: &str, default: Option<&str>) -> ArgInstruction {
        ArgInstruction {
            info: CommandInfo {
                span: TextRange::empty(0),
                original: Default::default(),
                start_line: 1,
                end_line: 1,
            },
            args: vec![ArgDecl {
                name: w(name),
                default: default.map(w),
            }],
            comment: Vec::new(),
        }
    }

    #[test]
    fn meta_args_build_arg_wins_and_defaults_expand() {
        let mut globals = EnvList::default();
        globals.add_or_replace("TARGETARCH", "amd64");
        let meta = vec![
            arg("A", Some("x-$TARGETARCH")),
            arg("B", Some("1")),
            arg("C", None),
        ];
        let mut ba = BTreeMap::new();
        ba.insert("B".to_string(), "2".to_string());
        let out = build_meta_args(globals, &meta, &ba, '\\').unwrap();
        assert_eq!(out.get("A"), Some("x-amd64"));
        assert_eq!(out.get("B"), Some("2"));
        assert_eq!(out.get("C"), None);
    }

    #[test]
    fn run_string_lists_declared_args() {
        let env = EnvList::default();
        let s = run_command_string(
            &["/bin/sh".into(), "-c".into(), "x".into()],
            &[DeclaredArg {
                key: "A".into(),
                value: None,
            }],
            &env,
        );
        assert_eq!(s, "|1 A= /bin/sh -c x");
    }

    /// Past [`SCANNED_ARGS`] distinct keys the positions are mapped: a key declared again,
    /// before or after that point, keeps its first place and takes its last value.
    #[test]
    fn run_string_redeclared_args_keep_their_place() {
        let env = EnvList::default();
        for n in [3, SCANNED_ARGS - 1, SCANNED_ARGS, SCANNED_ARGS + 5] {
            let mut declared = Vec::new();
            for round in 0..2 {
                for i in 0..n {
                    declared.push(DeclaredArg {
                        key: format!("K{i}"),
                        value: Some(format!("{round}")),
                    });
                }
            }
            let s = run_command_string(&["x".into()], &declared, &env);
            let pairs: Vec<String> = (0..n).map(|i| format!("K{i}=1")).collect();
            assert_eq!(s, format!("|{n} {} x", pairs.join(" ")), "{n}");
        }
    }

    #[test]
    fn proxy_args_case_insensitive() {
        let mut ba = BTreeMap::new();
        ba.insert("http_proxy".to_string(), "p".to_string());
        assert_eq!(proxy_from_build_args(&ba).unwrap().http_proxy, "p");
        assert!(proxy_from_build_args(&BTreeMap::new()).is_none());
    }
}

//! Platform parsing and formatting with containerd's `platforms` semantics,
//! and the automatic `BUILD*` / `TARGET*` args.

use super::api::Platform;
use super::args::EnvList;

const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];

const KNOWN_ARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

fn valid_component(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn normalize_os(os: &str) -> String {
    let os = os.to_ascii_lowercase();
    if os == "macos" {
        "darwin".into()
    } else {
        os
    }
}

/// containerd `normalizeArch`.
fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant.to_ascii_lowercase();
    match arch.as_str() {
        "i386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => {
            let v = if variant == "v1" {
                String::new()
            } else {
                variant
            };
            ("amd64".into(), v)
        }
        "aarch64" | "arm64" => {
            let v = if variant == "8" || variant == "v8" || variant == "v8.0" {
                String::new()
            } else {
                variant
            };
            ("arm64".into(), v)
        }
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let v = match variant.as_str() {
                "" | "7" => "v7".to_string(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), v)
        }
        _ => (arch, variant),
    }
}

/// Parse a platform specifier (`linux/arm64`, `linux/arm/v7`,
/// `windows(10.0.17763)/amd64`, `arm64`, `linux`); `default` supplies the
/// missing os/arch like containerd does with the host platform.
pub fn parse_platform(spec: &str, default: &Platform) -> Result<Platform, String> {
    let (spec_core, os_version) = split_os_version(spec)?;
    if spec_core.contains('*') {
        return Err(format!(
            "\"{spec}\": invalid platform specifier: wildcards not yet supported"
        ));
    }
    let parts: Vec<&str> = spec_core.split('/').collect();
    for p in &parts {
        if !valid_component(p) {
            return Err(format!(
                "\"{spec}\": invalid platform specifier: invalid component \"{p}\" (must match ^[A-Za-z0-9_-]+$)"
            ));
        }
    }
    let mut out = Platform {
        os: String::new(),
        architecture: String::new(),
        variant: None,
        os_version,
    };
    match parts.as_slice() {
        [one] => {
            let os = normalize_os(one);
            if KNOWN_OS.contains(&os.as_str()) {
                out.os = os;
                out.architecture = default.architecture.clone();
                out.variant = default.variant.clone();
                if out.architecture == "arm" && out.variant.as_deref() == Some("v7") {
                    out.variant = None;
                }
            } else {
                let (arch, variant) = normalize_arch(one, "");
                if !KNOWN_ARCH.contains(&arch.as_str()) {
                    return Err(format!(
                        "\"{spec}\": unknown operating system or architecture: invalid argument"
                    ));
                }
                out.os = default.os.clone();
                out.architecture = arch;
                out.variant = none_if_empty(variant);
            }
        }
        [os, arch] => {
            out.os = normalize_os(os);
            let (a, v) = normalize_arch(arch, "");
            out.architecture = a;
            out.variant = none_if_empty(v);
        }
        [os, arch, variant] => {
            out.os = normalize_os(os);
            let (a, v) = normalize_arch(arch, variant);
            out.architecture = a;
            out.variant = none_if_empty(v);
        }
        _ => {
            return Err(format!(
                "\"{spec}\": cannot parse platform specifier: invalid argument"
            ))
        }
    }
    Ok(out)
}

fn split_os_version(spec: &str) -> Result<(String, Option<String>), String> {
    match spec.find('(') {
        None => Ok((spec.to_string(), None)),
        Some(open) => {
            let close = spec[open..].find(')').map(|c| c + open).ok_or_else(|| {
                format!("\"{spec}\": invalid platform specifier: missing closing parenthesis")
            })?;
            let version = spec[open + 1..close].to_string();
            let rest = format!("{}{}", &spec[..open], &spec[close + 1..]);
            Ok((rest, none_if_empty(version)))
        }
    }
}

fn none_if_empty(s: String) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// The platform part of a progress name in a multi-platform build
/// (upstream `prefixCommand`): `linux/arm64`, and when the stage's
/// `TARGET*` args name another platform (a cross build on the build
/// platform), `->` and that one: `linux/amd64->arm64`,
/// `linux/amd64->windows/amd64`. `target_env` reads the stage's env.
pub(crate) fn progress_prefix<'a>(
    stage: &Platform,
    target_env: impl Fn(&str) -> Option<&'a str>,
) -> String {
    let mut out = format_all(stage);
    let target = match target_env("TARGETPLATFORM").and_then(|v| parse_platform(v, stage).ok()) {
        Some(p) => Some(p),
        None => {
            let (os, arch, variant) = (
                target_env("TARGETOS"),
                target_env("TARGETARCH"),
                target_env("TARGETVARIANT"),
            );
            (os.is_some() || arch.is_some() || variant.is_some()).then(|| Platform {
                os: os
                    .filter(|v| !v.is_empty())
                    .unwrap_or(&stage.os)
                    .to_string(),
                architecture: arch
                    .filter(|v| !v.is_empty())
                    .unwrap_or(&stage.architecture)
                    .to_string(),
                variant: variant.filter(|v| !v.is_empty()).map(String::from),
                os_version: None,
            })
        }
    };
    if let Some(t) = target.map(|t| normalize(&t)) {
        if t.os == stage.os && t.architecture != stage.architecture {
            out.push_str("->");
            out.push_str(&t.architecture);
            if let Some(v) = t.variant.as_deref().filter(|v| !v.is_empty()) {
                out.push('/');
                out.push_str(v);
            }
        } else if t.os != stage.os {
            out.push_str("->");
            out.push_str(&format_all(&t));
        }
    }
    out
}

/// `os/arch[/variant]` (containerd `platforms.Format`).
pub fn format(p: &Platform) -> String {
    let mut s = format!("{}/{}", p.os, p.architecture);
    if let Some(v) = p.variant.as_deref().filter(|v| !v.is_empty()) {
        s.push('/');
        s.push_str(v);
    }
    s
}

/// `os[(osversion)]/arch[/variant]` (containerd `platforms.FormatAll`).
pub(crate) fn format_all(p: &Platform) -> String {
    let mut s = p.os.clone();
    if let Some(v) = p.os_version.as_deref().filter(|v| !v.is_empty()) {
        s.push_str(&format!("({v})"));
    }
    s.push('/');
    s.push_str(&p.architecture);
    if let Some(v) = p.variant.as_deref().filter(|v| !v.is_empty()) {
        s.push('/');
        s.push_str(v);
    }
    s
}

/// containerd `platforms.Normalize`.
pub fn normalize(p: &Platform) -> Platform {
    let (arch, variant) = normalize_arch(&p.architecture, p.variant.as_deref().unwrap_or(""));
    Platform {
        os: normalize_os(&p.os),
        architecture: arch,
        variant: none_if_empty(variant),
        os_version: p.os_version.clone(),
    }
}

/// The automatic platform args and `TARGETSTAGE`, in upstream's order.
pub(crate) fn default_args(build: &Platform, target: &Platform, target_stage: &str) -> EnvList {
    let mut env = EnvList::default();
    let b = normalize(build);
    let t = normalize(target);
    env.add_or_replace("BUILDPLATFORM", &format(&b));
    env.add_or_replace("BUILDOS", &b.os);
    env.add_or_replace("BUILDOSVERSION", b.os_version.as_deref().unwrap_or(""));
    env.add_or_replace("BUILDARCH", &b.architecture);
    env.add_or_replace("BUILDVARIANT", b.variant.as_deref().unwrap_or(""));
    env.add_or_replace("TARGETPLATFORM", &format_all(&t));
    env.add_or_replace("TARGETOS", &t.os);
    env.add_or_replace("TARGETOSVERSION", t.os_version.as_deref().unwrap_or(""));
    env.add_or_replace("TARGETARCH", &t.architecture);
    env.add_or_replace("TARGETVARIANT", t.variant.as_deref().unwrap_or(""));
    env.add_or_replace("TARGETSTAGE", target_stage);
    env
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String, String> {
        parse_platform(s, &Platform::linux_amd64()).map(|p| format_all(&p))
    }

    #[test]
    fn parses_like_containerd() {
        assert_eq!(p("linux/arm64").unwrap(), "linux/arm64");
        assert_eq!(p("linux/arm").unwrap(), "linux/arm/v7");
        assert_eq!(p("linux/aarch64").unwrap(), "linux/arm64");
        assert_eq!(p("linux/x86_64").unwrap(), "linux/amd64");
        assert_eq!(p("arm64").unwrap(), "linux/arm64");
        assert_eq!(p("linux").unwrap(), "linux/amd64");
        assert_eq!(p("Linux/AMD64").unwrap(), "linux/amd64");
        assert_eq!(
            p("windows(10.0.17763)/amd64").unwrap(),
            "windows(10.0.17763)/amd64"
        );
        assert_eq!(p("linux/arm/v6").unwrap(), "linux/arm/v6");
        assert!(p("linux/am d64").is_err());
        assert!(p("foo").is_err());
        assert!(p("").is_err());
        assert!(p("a/b/c/d").is_err());
    }

    #[test]
    fn default_args_order() {
        let env = default_args(
            &Platform::linux_amd64(),
            &Platform::linux_amd64(),
            "default",
        );
        let keys: Vec<&str> = env.iter().map(|(k, _)| k).collect();
        assert_eq!(keys[0], "BUILDPLATFORM");
        assert_eq!(env.get("TARGETPLATFORM"), Some("linux/amd64"));
        assert_eq!(env.get("TARGETSTAGE"), Some("default"));
    }
}

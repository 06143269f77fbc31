# shellcheck shell=bash
# How the frontend image's static binaries are built (the `image` profile of Cargo.toml), for
# every script that builds them: scripts/build-image, scripts/bench-replay, scripts/test.
# Dockerfile.frontend spells out the same flags. Why each one: scripts/build-image and
# docs/performance-history.md, "The image" and "musl (session 7)".
#
#   image_triple            prints the target to build for: x86_64-unknown-linux-musl when it can
#                           be had (adds it with rustup if missing; needs musl-gcc from Debian's
#                           musl-tools, which e2e_install_deps installs, for mimalloc's C), else
#                           x86_64-unknown-linux-gnu, said on stderr; IMAGE_TARGET, when set,
#                           is the answer
#   image_rustflags ROOT TRIPLE   the RUSTFLAGS for that target
#   image_cargo_args TRIPLE       extra cargo arguments for that target (one per line)
#   image_env TRIPLE              extra environment for cargo (NAME=value, one per line)
#   image_build ROOT TRIPLE PKG [CARGO_ARG...]   cargo build of PKG's binary PKG with all of the
#                           above; it lands in ${CARGO_TARGET_DIR:-ROOT/target}/TRIPLE/image/PKG

image_musl=x86_64-unknown-linux-musl
image_gnu=x86_64-unknown-linux-gnu

# Is the musl target's standard library installed for the rustc on PATH?
image_has_musl_std() {
  [[ -d "$(rustc --print sysroot)/lib/rustlib/$image_musl/lib" ]]
}

image_triple() {
  local why=""
  if [[ -n ${IMAGE_TARGET:-} ]]; then
    # Chosen by hand (e.g. IMAGE_TARGET=x86_64-unknown-linux-gnu for the glibc build).
    echo "$IMAGE_TARGET"
    return
  fi
  if ! command -v musl-gcc >/dev/null; then
    why="no musl-gcc (apt-get install musl-tools)"
  elif ! image_has_musl_std; then
    if ! command -v rustup >/dev/null; then
      why="the $image_musl target is not installed and there is no rustup to add it"
    elif ! rustup target add "$image_musl" >&2 || ! image_has_musl_std; then
      why="rustup target add $image_musl failed"
    fi
  fi
  if [[ -n $why ]]; then
    printf '[image-flags] WARNING: building the image for %s, not %s: %s\n' \
      "$image_gnu" "$image_musl" "$why" >&2
    echo "$image_gnu"
  else
    echo "$image_musl"
  fi
}

image_rustflags() {
  local root=$1 triple=$2
  local flags="-C target-feature=+crt-static -C relocation-model=static -C link-arg=-Wl,--icf=all \
-C link-arg=-Wl,-T,$root/frontend/no-unwind-tables.ld -C link-arg=-Wl,--no-eh-frame-hdr \
-C llvm-args=-inline-threshold=15"
  if [[ $triple == "$image_musl" ]]; then
    # The musl target links through cc (gcc), whose own ld knows no --icf: rustc's lld instead.
    local gcc_ld
    gcc_ld="$(rustc --print sysroot)/lib/rustlib/$image_gnu/bin/gcc-ld"
    flags="$flags -C link-arg=-B$gcc_ld -C link-arg=-fuse-ld=lld"
  fi
  printf '%s' "$flags"
}

image_cargo_args() {
  local triple=$1
  if [[ $triple == "$image_musl" ]]; then
    # The converter at opt-level 2 (the rest stays "z"): the musl binary is 0.6 MB smaller than
    # the glibc one, and this spends 0.4 MB of it for about a fifth of the CPU on big files.
    echo "--config"
    echo 'profile.image.package.llb-gen.opt-level=2'
  fi
}

image_env() {
  local triple=$1
  if [[ $triple == "$image_musl" ]]; then
    # mimalloc's C (libmimalloc-sys) compiled against musl's headers.
    echo "CC_x86_64_unknown_linux_musl=musl-gcc"
  fi
}

image_build() {
  local root=$1 triple=$2 pkg=$3
  shift 3
  local args=() envs=() line
  while IFS= read -r line; do [[ -n $line ]] && args+=("$line"); done < <(image_cargo_args "$triple")
  while IFS= read -r line; do [[ -n $line ]] && envs+=("$line"); done < <(image_env "$triple")
  env "${envs[@]}" RUSTFLAGS="$(image_rustflags "$root" "$triple")" \
    cargo build --locked "${args[@]}" --profile image --target "$triple" -p "$pkg" --bin "$pkg" "$@"
}

# shellcheck shell=bash
# The RUSTFLAGS of the frontend image's static binaries (the `image` profile of Cargo.toml), for
# every script that builds them: scripts/build-image, scripts/bench-replay. Dockerfile.frontend
# spells out the same flags. Why each one: scripts/build-image and docs/performance.md, "The image".
image_rustflags() {
  local root=$1
  printf '%s' "-C target-feature=+crt-static -C relocation-model=static -C link-arg=-Wl,--icf=all \
-C link-arg=-Wl,-T,$root/frontend/no-unwind-tables.ld -C link-arg=-Wl,--no-eh-frame-hdr \
-C llvm-args=-inline-threshold=15"
}

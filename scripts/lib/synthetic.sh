# shellcheck shell=bash
# The synthetic benchmark file of llb-gen's convert bench (llb-gen/benches/convert/synthetic.rs),
# for the scripts that measure with it: scripts/bench, scripts/bench-replay, scripts/cli-hot-text,
# scripts/frontend-hot-text.
#
#   synthetic_images                   the base images the file names, in its order
#   synthetic_online IN OUT            pushes those images to the bench registry (already started:
#                                      scripts/lib/bench-registry.sh) and writes IN to OUT with
#                                      its FROM lines naming them there
#   synthetic_recording REPLAY STAGES DIR NAME
#                           writes the file with STAGES stages to DIR/NAME.Dockerfile and a replay
#                           recording of it (tests/replay, REPLAY its binary) to DIR/NAME.json

synthetic_images=(alpine:3.20 debian:bookworm-slim golang:1.23 node:22-alpine python:3.12-slim busybox:1.36)

synthetic_recording() {
  local replay=$1 stages=$2 dir=$3 name=$4 img args=()
  cargo bench -q -p llb-gen --bench convert -- --write "$dir/$name.Dockerfile" --stages "$stages" >/dev/null 2>&1
  for img in "${synthetic_images[@]}"; do args+=(--image "$img"); done
  # It starts with `# syntax=docker/dockerfile:1`: `cmdline` as when BuildKit runs that frontend.
  "$replay" record --name "$name" --file "Dockerfile=$dir/$name.Dockerfile" "${args[@]}" \
    --opt cmdline=docker/dockerfile:1 >"$dir/$name.json"
}

synthetic_online() {
  local img names
  for img in "${synthetic_images[@]}"; do bench_registry_push "$img"; done
  names=$(printf '%s|' "${synthetic_images[@]%%:*}")
  sed -E "s#^FROM (${names%|}):#FROM $BENCH_REGISTRY/\1:#" "$1" >"$2"
}

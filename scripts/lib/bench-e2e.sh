# shellcheck shell=bash
# `scripts/bench --e2e`: a fully cached one-step build through our frontend image, upstream's
# frontend image and the engine's built-in frontend, on both engines of the e2e environment
# (Docker 20.10 through `docker build`, the current BuildKit through `buildctl`), medians of
# BENCH_RUNS alternating rounds, and our process's own share of each of our builds.
#
# Needs the environment up (`scripts/e2e-env start`; E2E_STATE_DIR and E2E_REGISTRY_PORT as
# for it) and our image on its registry (scripts/build-image frontend $E2E_REGISTRY/frontend:dev;
# BENCH_E2E_IMAGE overrides). Upstream's image is made from the engines' `dockerfile-frontend`
# and pushed to the same registry.
#
# Our share comes from the frontend's timing line (frontend/src/timing.rs), asked for with the
# build argument LLBGEN_FRONTEND_TIMING=1 (given to all three, so every build carries the same
# options) and read from the engine's log (the frontend's stderr goes there): process start
# to the first RPC, first RPC to the answered Return, Return to exit. The engine's share is the
# command's wall time minus the process's lifetime.
#
#   bench_e2e WORKDIR RUNS   prints a markdown table on stdout

_e2e_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; }
_e2e_median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)]; else printf "n/a" }'; }

# _e2e_upstream_image TAG: the upstream frontend binary in a FROM scratch image, pushed.
_e2e_upstream_image() {
  local tag=$1 ctx bin
  bin=$("$E2E_ENGINES/unpack" ${E2E_ENGINES_CACHE:+"$E2E_ENGINES_CACHE"})/dockerfile-frontend
  [[ -x $bin ]] || { echo "bench: no $bin" >&2; return 1; }
  ctx=$(mktemp -d)
  cp "$bin" "$ctx/dockerfile-frontend"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
LABEL moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
COPY dockerfile-frontend /bin/dockerfile-frontend
ENTRYPOINT ["/bin/dockerfile-frontend"]
EOF
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$tag" "$ctx" >/dev/null && "$DOCKER" push "$tag" >/dev/null
  local rc=$?
  rm -rf "$ctx"
  return $rc
}

# _e2e_build ENGINE CTX: one build; prints the wall time in ns.
_e2e_build() {
  local engine=$1 ctx=$2 t0 t1
  t0=$(date +%s%N)
  case $engine in
    docker)
      DOCKER_BUILDKIT=1 "$DOCKER" build -q --build-arg LLBGEN_FRONTEND_TIMING=1 -t llbgen-bench "$ctx" \
        >/dev/null 2>"$ctx.err" ;;
    buildkit)
      "$E2E_BUILDCTL" --addr "$E2E_BUILDKIT_HOST" build --frontend dockerfile.v0 \
        --opt build-arg:LLBGEN_FRONTEND_TIMING=1 --local context="$ctx" --local dockerfile="$ctx" \
        >/dev/null 2>"$ctx.err" ;;
  esac || { echo "bench: $engine build of $ctx failed:" >&2; cat "$ctx.err" >&2; return 1; }
  t1=$(date +%s%N)
  echo "$t0 $t1"
}

bench_e2e() {
  local work=$1 runs=$2 ours upstream engine who i log line
  ours=${BENCH_E2E_IMAGE:-$E2E_REGISTRY/frontend:dev}
  upstream=$E2E_REGISTRY/dockerfile-upstream:bench
  "$DOCKER" image inspect "$ours" >/dev/null 2>&1 || {
    echo "bench: no image $ours (scripts/build-image frontend $ours)" >&2
    return 1
  }
  _e2e_upstream_image "$upstream" || return 1
  for who in ours upstream builtin; do
    mkdir -p "$work/$who"
    case $who in
      ours) echo "# syntax=$ours" >"$work/$who/Dockerfile" ;;
      upstream) echo "# syntax=$upstream" >"$work/$who/Dockerfile" ;;
      builtin) : >"$work/$who/Dockerfile" ;;
    esac
    printf 'FROM %s\nRUN echo hi > /x\n' "$E2E_BASE_IMAGE" >>"$work/$who/Dockerfile"
  done
  echo "| Engine | Frontend | Wall, median of $runs | Our process: start → first RPC | first RPC → Return answered | Return → exit | Engine's share (wall − our process) |"
  echo "|---|---|---|---|---|---|---|"
  for engine in docker buildkit; do
    if [[ $engine == buildkit && -z ${E2E_BUILDKIT_HOST:-} ]]; then
      echo "| current BuildKit | all | n/a (buildkitd not running) | | | | |"
      continue
    fi
    log=$E2E_DOCKERD_LOG
    [[ $engine == buildkit ]] && log=$E2E_BUILDKITD_LOG
    # Cache everything first (twice: the first may pull the frontend images).
    for who in ours upstream builtin ours upstream builtin; do _e2e_build "$engine" "$work/$who" >/dev/null || return 1; done
    for who in ours upstream builtin; do : >"$work/$engine.$who.t"; done
    : >"$work/$engine.split"
    for ((i = 0; i < runs; i++)); do
      for who in ours upstream builtin; do
        local before span t0 t1
        before=$(wc -l <"$log")
        span=$(_e2e_build "$engine" "$work/$who") || return 1
        read -r t0 t1 <<<"$span"
        _e2e_ms "$t0" "$t1" >>"$work/$engine.$who.t"
        if [[ $who == ours ]]; then
          # The line lands in the log shortly after the process exits.
          for _ in 1 2 3 4 5 6 7 8 9 10; do
            line=$(tail -n +"$((before + 1))" "$log" | grep -o 'llb-gen frontend timing: .*' | tail -n1)
            [[ -n $line ]] && break
            sleep 0.1
          done
          [[ -n $line ]] || { echo "bench: no timing line in $log" >&2; return 1; }
          # wall_ms first_rpc_ms rpc_ms exit_after_return_ms life_ms
          echo "$span $line" | awk '{
            for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            wall = ($2 - $1) / 1e6
            printf "%.3f %.3f %.3f %.3f\n", f["first_rpc_ms"], f["return_ms"] - f["first_rpc_ms"], f["exit_ms"] - f["return_ms"], wall - f["exit_ms"]
          }' >>"$work/$engine.split"
        fi
      done
    done
    local name=Docker\ 20.10
    [[ $engine == buildkit ]] && name="current BuildKit ($("$E2E_BUILDCTL" --version | awk '{print $3}'))"
    for who in ours upstream builtin; do
      local wall cols="| | | | |"
      wall=$(_e2e_median <"$work/$engine.$who.t")
      if [[ $who == ours ]]; then
        cols="| $(cut -d' ' -f1 "$work/$engine.split" | _e2e_median) ms | $(cut -d' ' -f2 "$work/$engine.split" | _e2e_median) ms | $(cut -d' ' -f3 "$work/$engine.split" | _e2e_median) ms | $(cut -d' ' -f4 "$work/$engine.split" | _e2e_median) ms |"
      fi
      echo "| $name | $who | $wall ms $cols"
    done
  done
}

# shellcheck shell=bash
# Private end-to-end test environment, two engines:
#
# - Docker 20.10 (Debian's docker.io, BuildKit v0.8): a dockerd of our own (data root, exec root
#   and socket in a state directory);
# - the current BuildKit: buildkitd from ../shared/engines (its own root and unix socket in the
#   state directory, OCI worker with host networking), reached through `docker buildx build` with
#   a remote-driver builder and through `buildctl`; the buildx plugin is installed into a
#   DOCKER_CONFIG inside the state directory (never ~/.docker);
#
# plus Debian's docker-registry on 127.0.0.1:$E2E_REGISTRY_PORT and a busybox base image imported
# from Debian's busybox-static and pushed to that registry.
#
# Source this file, then call:
#   e2e_env_start   start (or reuse) dockerd + registry + buildkitd, push the base image, export
#   e2e_env_stop    stop exactly the processes recorded in $E2E_STATE_DIR, remove the directory
#   e2e_env_trap    install an EXIT trap that stops what THIS shell started (a daemon or registry
#                   that e2e_env_start found running and reused is left alone)
#   e2e_install_deps  apt-get install docker.io docker-registry busybox-static musl-tools ...
#                   (if missing)
#
# Variables (all optional on input; exported after e2e_env_start):
#   E2E_STATE_DIR       state directory (default /tmp/llbgen-e2e); holds every PID we started
#   E2E_REGISTRY_PORT   loopback registry port (default 5000)
#   E2E_ENGINES         the engines' directory (default ../shared/engines next to the repository);
#                       absent: the current engine is SKIPPED loudly, or an error with CI=true
#   E2E_ENGINES_CACHE   where `$E2E_ENGINES/unpack` unpacks them (default: unpack's own default)
#   E2E_DOCKER_HOST     unix://$E2E_STATE_DIR/docker.sock  (also exported as DOCKER_HOST)
#   E2E_REGISTRY        localhost:$E2E_REGISTRY_PORT
#   E2E_BASE_IMAGE      localhost:$E2E_REGISTRY_PORT/busybox:e2e
#   E2E_DOCKER_CONFIG   $E2E_STATE_DIR/docker-config, with the buildx plugin (also DOCKER_CONFIG)
#   E2E_BUILDKIT_HOST   unix://$E2E_STATE_DIR/buildkitd.sock (only when the current engine runs)
#   E2E_BUILDCTL        the buildctl binary (idem)
#   E2E_BUILDX_BUILDER  the remote-driver builder on that buildkitd (idem)
#   DOCKER              the docker client to use (default /usr/bin/docker, Debian's 20.10 client)
#
# Network hygiene: dockerd runs with --iptables=false --ip-masq=false --ip-forward=false and listens
# only on its unix socket; buildkitd listens only on its unix socket; the registry listens on
# 127.0.0.1 only. Nothing here downloads anything except e2e_install_deps (Debian packages through
# apt-get).

: "${E2E_STATE_DIR:=/tmp/llbgen-e2e}"
: "${E2E_REGISTRY_PORT:=5000}"
: "${DOCKER:=/usr/bin/docker}"
E2E_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${E2E_ENGINES:=$E2E_REPO_ROOT/../shared/engines}"
# The name of the buildx builder (remote driver) on our buildkitd, inside our DOCKER_CONFIG.
E2E_BUILDX_BUILDER=llbgen-current

e2e_log() { printf '[e2e-env] %s\n' "$*" >&2; }
e2e_die() {
  printf '[e2e-env] ERROR: %s\n' "$*" >&2
  return 1
}

# Is the process recorded in pidfile $1 alive?
e2e_pid_alive() {
  local f=$1 pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# e2e_wait_ready NAME SOCKET CMD...: wait up to 60 s until CMD succeeds, while the daemon NAME
# (pid in $E2E_STATE_DIR/NAME.pid, log in NAME.log) is alive; on failure show its log's tail.
e2e_wait_ready() {
  local name=$1 sock=$2 dir=$E2E_STATE_DIR i
  shift 2
  for ((i = 0; i < 120; i++)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if ! e2e_pid_alive "$dir/$name.pid"; then
      tail -n 30 "$dir/$name.log" >&2 || true
      e2e_die "$name exited during start-up (log above)"
      return 1
    fi
    sleep 0.5
  done
  tail -n 30 "$dir/$name.log" >&2 || true
  e2e_die "$name did not answer on $sock within 60 s"
}

e2e_install_deps() {
  local missing=()
  [[ -x /usr/sbin/dockerd && -x /usr/bin/docker ]] || missing+=(docker.io)
  [[ -x /usr/bin/docker-registry ]] || missing+=(docker-registry)
  busybox_is_static || missing+=(busybox-static)
  command -v ssh-agent >/dev/null || missing+=(openssh-client)
  command -v curl >/dev/null || missing+=(curl)
  # The current engine: buildkitd's OCI worker runs runc (docker.io pulls it in too), and the
  # engines are .tar.xz archives.
  command -v runc >/dev/null || missing+=(runc)
  command -v xz >/dev/null || missing+=(xz-utils)
  # scripts/test lints scripts/ with it.
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  # The image's binary is built for musl: mimalloc's C needs musl-gcc (scripts/lib/image-flags.sh).
  command -v musl-gcc >/dev/null || missing+=(musl-tools)
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if [[ $(id -u) != 0 ]]; then
    e2e_die "missing packages (${missing[*]}) and not root: install them with apt-get"
    return 1
  fi
  e2e_log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the packages' init scripts from starting a system dockerd / registry.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  local rc=0
  apt-get install -y -qq "${missing[@]}" >/dev/null || rc=$?
  if ((created_policy)); then rm -f "$policy"; fi
  return "$rc"
}

busybox_path() {
  if [[ -x /bin/busybox ]]; then echo /bin/busybox; else echo /usr/bin/busybox; fi
}

busybox_is_static() {
  local bb
  bb=$(busybox_path)
  [[ -x $bb ]] || return 1
  # busybox-static's binary has no program interpreter; Debian's plain busybox is dynamic.
  local out
  out=$(LC_ALL=C ldd "$bb" 2>&1 || true)
  [[ $out == *"not a dynamic executable"* || $out == *"statically linked"* ]]

}

e2e_docker() {
  DOCKER_HOST="unix://$E2E_STATE_DIR/docker.sock" DOCKER_CONFIG="$E2E_STATE_DIR/docker-config" \
    "$DOCKER" "$@"
}

e2e_start_dockerd() {
  local dir=$E2E_STATE_DIR
  if e2e_pid_alive "$dir/dockerd.pid" && e2e_docker version >/dev/null 2>&1; then
    e2e_log "reusing dockerd (pid $(<"$dir/dockerd.pid"), socket $dir/docker.sock)"
    E2E_OWN_DOCKERD=0
    return 0
  fi
  mkdir -p "$dir/data" "$dir/exec"
  e2e_log "starting dockerd (socket $dir/docker.sock, log $dir/dockerd.log)"
  # $! is dockerd itself (no wrapper), so dockerd.pid is exactly the process we started.
  /usr/sbin/dockerd \
    --iptables=false --ip-masq=false --ip-forward=false \
    --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.daemon.pid" \
    -H "unix://$dir/docker.sock" \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  echo $! >"$dir/dockerd.pid"
  E2E_OWN_DOCKERD=1
  e2e_wait_ready dockerd "$dir/docker.sock" e2e_docker version
}

e2e_registry_answers() {
  curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$E2E_REGISTRY_PORT/v2/" 2>/dev/null
}

e2e_port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$E2E_REGISTRY_PORT") 2>/dev/null
}

e2e_start_registry() {
  local dir=$E2E_STATE_DIR
  if e2e_pid_alive "$dir/registry.pid" && e2e_registry_answers; then
    e2e_log "reusing our registry (pid $(<"$dir/registry.pid")) on 127.0.0.1:$E2E_REGISTRY_PORT"
    E2E_OWN_REGISTRY=0
    return 0
  fi
  if e2e_port_in_use; then
    if e2e_registry_answers; then
      # Someone else's registry (an earlier run, another shell). Pushing our test images to a
      # loopback registry is harmless, so use it, but say so: we will not stop it.
      e2e_log "NOTE: 127.0.0.1:$E2E_REGISTRY_PORT already serves a registry we did not start; reusing it"
      E2E_OWN_REGISTRY=0
      return 0
    fi
    e2e_die "127.0.0.1:$E2E_REGISTRY_PORT is in use by something that is not a Docker registry; free it or set E2E_REGISTRY_PORT"
    return 1
  fi
  mkdir -p "$dir/registry"
  cat >"$dir/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$E2E_REGISTRY_PORT
EOF
  e2e_log "starting docker-registry on 127.0.0.1:$E2E_REGISTRY_PORT (log $dir/registry.log)"
  /usr/bin/docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/registry.pid"
  E2E_OWN_REGISTRY=1
  local i
  for ((i = 0; i < 60; i++)); do
    if e2e_registry_answers; then
      return 0
    fi
    if ! e2e_pid_alive "$dir/registry.pid"; then
      tail -n 20 "$dir/registry.log" >&2 || true
      e2e_die "docker-registry exited during start-up (log above)"
      return 1
    fi
    sleep 0.5
  done
  e2e_die "docker-registry did not answer on 127.0.0.1:$E2E_REGISTRY_PORT within 30 s"
}

# Build the busybox root file system: /bin/busybox plus a symlink per applet, a passwd/group with
# root, nobody and an unprivileged `app` user (uid 1000) for USER/--chown tests, and /tmp.
e2e_make_busybox_rootfs() {
  local root=$1 bb applet
  bb=$(busybox_path)
  rm -rf "$root"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home/app" "$root/var" \
    "$root/usr/bin" "$root/dev" "$root/proc" "$root/sys" "$root/run"
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$bb" --list); do
    [[ $applet == busybox ]] && continue
    ln -sf busybox "$root/bin/$applet"
  done
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
app:x:1000:
nogroup:x:65534:
EOF
  chown 1000:1000 "$root/home/app"
}

e2e_push_base_image() {
  local dir=$E2E_STATE_DIR ref="localhost:$E2E_REGISTRY_PORT/busybox:e2e"
  if ! e2e_docker image inspect busybox:local >/dev/null 2>&1; then
    e2e_make_busybox_rootfs "$dir/busybox-rootfs"
    e2e_log "importing busybox:local from $(busybox_path)"
    tar -C "$dir/busybox-rootfs" -c . | e2e_docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["sh"]' - busybox:local >/dev/null
  fi
  e2e_docker tag busybox:local "$ref"
  e2e_log "pushing $ref"
  e2e_docker push "$ref" >"$dir/push-base.log" 2>&1 || {
    cat "$dir/push-base.log" >&2
    e2e_die "pushing $ref failed"
    return 1
  }
}


# ---- the current engine: buildkitd + buildctl + the buildx plugin from $E2E_ENGINES ----

# Are the engines there? (The directory of archives, with its unpack script.)
e2e_engines_present() {
  [[ -x $E2E_ENGINES/unpack ]]
}

e2e_buildctl() { "$E2E_BUILDCTL" --addr "unix://$E2E_STATE_DIR/buildkitd.sock" "$@"; }

e2e_start_buildkitd() {
  local dir=$E2E_STATE_DIR bin
  # Unpacks once (checking SHA256SUMS) and prints the directory of the binaries.
  bin=$("$E2E_ENGINES/unpack" ${E2E_ENGINES_CACHE:+"$E2E_ENGINES_CACHE"}) || {
    e2e_die "unpacking the engines from $E2E_ENGINES failed"
    return 1
  }
  E2E_BUILDCTL=$bin/buildctl
  if e2e_pid_alive "$dir/buildkitd.pid" && e2e_buildctl debug workers >/dev/null 2>&1; then
    e2e_log "reusing buildkitd (pid $(<"$dir/buildkitd.pid"), socket $dir/buildkitd.sock)"
    E2E_OWN_BUILDKITD=0
    return 0
  fi
  mkdir -p "$dir/buildkit"
  # Everything of its own under the state dir (the OTEL socket would default to /run/buildkit,
  # shared with any other buildkitd); only the OCI worker (a containerd worker could find a system
  # containerd); the loopback registry over plain HTTP.
  cat >"$dir/buildkitd.toml" <<TOML
root = "$dir/buildkit"

[grpc]
  address = ["unix://$dir/buildkitd.sock"]

[otel]
  socketPath = "$dir/buildkitd-otel.sock"

[cdi]
  disabled = true

[worker.oci]
  enabled = true

[worker.containerd]
  enabled = false

[registry."localhost:$E2E_REGISTRY_PORT"]
  http = true
  insecure = true

[registry."127.0.0.1:$E2E_REGISTRY_PORT"]
  http = true
  insecure = true
TOML
  e2e_log "starting buildkitd (socket $dir/buildkitd.sock, log $dir/buildkitd.log)"
  # $! is buildkitd itself, so buildkitd.pid is exactly the process we started.
  "$bin/buildkitd" --config "$dir/buildkitd.toml" --root "$dir/buildkit" \
    --addr "unix://$dir/buildkitd.sock" --oci-worker-net=host \
    >"$dir/buildkitd.log" 2>&1 </dev/null &
  echo $! >"$dir/buildkitd.pid"
  E2E_OWN_BUILDKITD=1
  e2e_wait_ready buildkitd "$dir/buildkitd.sock" e2e_buildctl debug workers
}

# The buildx plugin in our DOCKER_CONFIG, and a remote-driver builder on our buildkitd.
e2e_setup_buildx() {
  local dir=$E2E_STATE_DIR bin
  bin=$(dirname "$E2E_BUILDCTL")
  mkdir -p "$dir/docker-config/cli-plugins"
  install -m 0755 "$bin/docker-buildx" "$dir/docker-config/cli-plugins/docker-buildx"
  if ! e2e_docker buildx inspect "$E2E_BUILDX_BUILDER" >/dev/null 2>&1; then
    e2e_docker buildx create --name "$E2E_BUILDX_BUILDER" --driver remote \
      "unix://$dir/buildkitd.sock" >/dev/null || {
      e2e_die "docker buildx create --driver remote failed"
      return 1
    }
  fi
  e2e_docker buildx inspect --bootstrap "$E2E_BUILDX_BUILDER" >"$dir/buildx-inspect.log" 2>&1 || {
    cat "$dir/buildx-inspect.log" >&2
    e2e_die "the buildx builder $E2E_BUILDX_BUILDER does not answer"
    return 1
  }
  local version
  version=$(e2e_buildctl --version | awk '{print $3}')
  e2e_log "buildx builders: $E2E_BUILDX_BUILDER (remote, BuildKit $version) and default (docker driver, Docker's BuildKit v0.8)"
}

# For a shell that did not start it (`scripts/e2e-env env`): is our buildkitd running?
e2e_detect_current_engine() {
  E2E_CURRENT_ENGINE=0
  if e2e_engines_present && e2e_pid_alive "$E2E_STATE_DIR/buildkitd.pid"; then
    E2E_BUILDCTL=$("$E2E_ENGINES/unpack" ${E2E_ENGINES_CACHE:+"$E2E_ENGINES_CACHE"})/buildctl
    E2E_CURRENT_ENGINE=1
  fi
}

# Start the current engine, or say loudly why not (with CI=true that is an error).
e2e_start_current_engine() {
  E2E_CURRENT_ENGINE=0
  if ! e2e_engines_present; then
    if [[ ${CI:-} == true ]]; then
      e2e_die "CI=true: the current engine must run, but there are no engines (buildkitd, buildctl, buildx) at $E2E_ENGINES"
      return 1
    fi
    e2e_log "!!!! SKIP: no engines at $E2E_ENGINES: the current BuildKit and buildx do not run (set E2E_ENGINES)"
    return 0
  fi
  e2e_start_buildkitd || return 1
  e2e_setup_buildx || return 1
  E2E_CURRENT_ENGINE=1
}

e2e_env_export() {
  export E2E_STATE_DIR E2E_REGISTRY_PORT DOCKER
  export E2E_DOCKER_HOST="unix://$E2E_STATE_DIR/docker.sock"
  export DOCKER_HOST=$E2E_DOCKER_HOST
  export E2E_REGISTRY="localhost:$E2E_REGISTRY_PORT"
  export E2E_BASE_IMAGE="localhost:$E2E_REGISTRY_PORT/busybox:e2e"
  export E2E_DOCKER_CLI=$DOCKER
  export E2E_DOCKERD_LOG=$E2E_STATE_DIR/dockerd.log
  # Our own client configuration (buildx plugin and builders), for every docker command.
  export E2E_DOCKER_CONFIG=$E2E_STATE_DIR/docker-config
  export DOCKER_CONFIG=$E2E_DOCKER_CONFIG
  if [[ ${E2E_CURRENT_ENGINE:-0} == 1 ]]; then
    export E2E_BUILDKIT_HOST="unix://$E2E_STATE_DIR/buildkitd.sock"
    export E2E_BUILDCTL E2E_BUILDX_BUILDER
    export E2E_BUILDKITD_LOG=$E2E_STATE_DIR/buildkitd.log
  fi
}

e2e_env_start() {
  if [[ $(id -u) != 0 ]]; then
    e2e_die "the end-to-end environment needs root (it runs its own dockerd)"
    return 1
  fi
  mkdir -p "$E2E_STATE_DIR/docker-config"
  e2e_start_dockerd
  e2e_start_registry
  e2e_start_current_engine
  e2e_env_export
  e2e_push_base_image
  local current="not running (no engines)"
  if [[ $E2E_CURRENT_ENGINE == 1 ]]; then current=$E2E_BUILDKIT_HOST; fi
  e2e_log "ready: DOCKER_HOST=$E2E_DOCKER_HOST, base image $E2E_BASE_IMAGE, current BuildKit $current"
}

# Stop the process whose PID is in $1 (TERM, then KILL after $2 seconds).
e2e_stop_pidfile() {
  local f=$1 wait_s=${2:-20} pid i
  e2e_pid_alive "$f" || {
    rm -f "$f"
    return 0
  }
  pid=$(<"$f")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    e2e_log "pid $pid did not stop on TERM; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$f"
}

e2e_env_stop() {
  local dir=$E2E_STATE_DIR
  [[ -d $dir ]] || return 0
  e2e_log "stopping the environment in $dir"
  e2e_stop_pidfile "$dir/buildkitd.pid" 30
  # dockerd stops its own containerd (started under $dir/exec) when it exits on TERM.
  e2e_stop_pidfile "$dir/dockerd.pid" 30
  e2e_stop_pidfile "$dir/registry.pid" 10
  if [[ ${E2E_KEEP_STATE:-} != 1 ]]; then
    # Unmount anything the daemon left mounted below the state dir, deepest first, then delete.
    local m
    while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done < <(awk -v d="$dir" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
    rm -rf "$dir" 2>/dev/null || e2e_log "could not remove all of $dir"
  fi
}

# Stop only what this shell's e2e_env_start started (all of it, state dir included, when the
# daemons and the registry were all ours).
e2e_env_stop_owned() {
  local rc=$?
  if [[ ${E2E_OWN_BUILDKITD:-0} == 1 ]]; then
    e2e_stop_pidfile "$E2E_STATE_DIR/buildkitd.pid" 30
  fi
  if [[ ${E2E_OWN_DOCKERD:-0} == 1 && ${E2E_OWN_REGISTRY:-0} == 1 ]]; then
    e2e_env_stop
  elif [[ ${E2E_OWN_DOCKERD:-0} == 1 ]]; then
    e2e_stop_pidfile "$E2E_STATE_DIR/dockerd.pid" 30
  elif [[ ${E2E_OWN_REGISTRY:-0} == 1 ]]; then
    e2e_stop_pidfile "$E2E_STATE_DIR/registry.pid" 10
  fi
  return "$rc"
}

e2e_env_trap() {
  trap e2e_env_stop_owned EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# shellcheck shell=bash
# Private end-to-end test environment: a dockerd of our own (data root, exec root and socket in a
# state directory), Debian's docker-registry on 127.0.0.1:$E2E_REGISTRY_PORT, and a busybox base
# image imported from Debian's busybox-static and pushed to that registry.
#
# Source this file, then call:
#   e2e_env_start   start (or reuse) dockerd + registry, import/push the base image, export vars
#   e2e_env_stop    stop exactly the processes recorded in $E2E_STATE_DIR, remove the directory
#   e2e_env_trap    install an EXIT trap that stops what THIS shell started (a dockerd or
#                   registry that e2e_env_start found running and reused is left alone)
#   e2e_install_deps  apt-get install docker.io docker-registry busybox-static (only if missing)
#
# Variables (all optional on input; exported after e2e_env_start):
#   E2E_STATE_DIR       state directory (default /tmp/llbgen-e2e); holds every PID we started
#   E2E_REGISTRY_PORT   loopback registry port (default 5000)
#   E2E_DOCKER_HOST     unix://$E2E_STATE_DIR/docker.sock  (also exported as DOCKER_HOST)
#   E2E_REGISTRY        localhost:$E2E_REGISTRY_PORT
#   E2E_BASE_IMAGE      localhost:$E2E_REGISTRY_PORT/busybox:e2e
#   DOCKER              the docker client to use (default /usr/bin/docker, Debian's 20.10 client)
#
# Network hygiene: dockerd runs with --iptables=false --ip-masq=false --ip-forward=false and listens
# only on its unix socket; the registry listens on 127.0.0.1 only. Nothing here downloads anything
# except e2e_install_deps (Debian packages through apt-get).

: "${E2E_STATE_DIR:=/tmp/llbgen-e2e}"
: "${E2E_REGISTRY_PORT:=5000}"
: "${DOCKER:=/usr/bin/docker}"

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

e2e_install_deps() {
  local missing=()
  [[ -x /usr/sbin/dockerd && -x /usr/bin/docker ]] || missing+=(docker.io)
  [[ -x /usr/bin/docker-registry ]] || missing+=(docker-registry)
  busybox_is_static || missing+=(busybox-static)
  command -v ssh-agent >/dev/null || missing+=(openssh-client)
  command -v curl >/dev/null || missing+=(curl)
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

e2e_docker() { DOCKER_HOST="unix://$E2E_STATE_DIR/docker.sock" "$DOCKER" "$@"; }

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
  local i
  for ((i = 0; i < 120; i++)); do
    if e2e_docker version >/dev/null 2>&1; then
      return 0
    fi
    if ! e2e_pid_alive "$dir/dockerd.pid"; then
      tail -n 30 "$dir/dockerd.log" >&2 || true
      e2e_die "dockerd exited during start-up (log above)"
      return 1
    fi
    sleep 0.5
  done
  tail -n 30 "$dir/dockerd.log" >&2 || true
  e2e_die "dockerd did not answer on $dir/docker.sock within 60 s"
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

e2e_env_export() {
  export E2E_STATE_DIR E2E_REGISTRY_PORT DOCKER
  export E2E_DOCKER_HOST="unix://$E2E_STATE_DIR/docker.sock"
  export DOCKER_HOST=$E2E_DOCKER_HOST
  export E2E_REGISTRY="localhost:$E2E_REGISTRY_PORT"
  export E2E_BASE_IMAGE="localhost:$E2E_REGISTRY_PORT/busybox:e2e"
  export E2E_DOCKER_CLI=$DOCKER
  export E2E_DOCKERD_LOG=$E2E_STATE_DIR/dockerd.log
}

e2e_env_start() {
  if [[ $(id -u) != 0 ]]; then
    e2e_die "the end-to-end environment needs root (it runs its own dockerd)"
    return 1
  fi
  mkdir -p "$E2E_STATE_DIR"
  e2e_start_dockerd
  e2e_start_registry
  e2e_env_export
  e2e_push_base_image
  e2e_log "ready: DOCKER_HOST=$E2E_DOCKER_HOST base image $E2E_BASE_IMAGE"
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

# Stop only what this shell's e2e_env_start started.
e2e_env_stop_owned() {
  local rc=$?
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

# shellcheck shell=bash
# A loopback registry for scripts/bench's online measurements: Debian's docker-registry on
# 127.0.0.1:$BENCH_REGISTRY_PORT with small linux/amd64 images pushed with curl (no Docker).
#
#   bench_registry_start DIR      start it (state in DIR), or die; sets BENCH_REGISTRY_PID
#   bench_registry_push NAME:TAG  push a one-layer image (an empty tar) as NAME:TAG, its config
#                                 naming it (IMAGE=NAME:TAG)
#   bench_proxy_start MS IN OUT   start scripts/lib/delay-proxy.py on the port below the
#                                 registry's, holding each answer MS ms, or fail; write the file
#                                 IN to OUT with the registry's address replaced by the proxy's
#   bench_proxy_stop              stop that proxy (by its PID)
#   bench_registry_stop           stop the registry this shell started, and its proxy (by PIDs)
#
# Only 127.0.0.1 is contacted.

BENCH_REGISTRY_PORT=${BENCH_REGISTRY_PORT:-5099}
BENCH_REGISTRY=localhost:$BENCH_REGISTRY_PORT
BENCH_REGISTRY_PID=
BENCH_PROXY_PID=

bench_registry_start() {
  local dir=$1 i
  [[ -x /usr/bin/docker-registry ]] || {
    echo "bench: /usr/bin/docker-registry is missing (apt-get install docker-registry)" >&2
    return 1
  }
  if curl -fsS "http://127.0.0.1:$BENCH_REGISTRY_PORT/v2/" >/dev/null 2>&1; then
    echo "bench: 127.0.0.1:$BENCH_REGISTRY_PORT is already in use; set BENCH_REGISTRY_PORT" >&2
    return 1
  fi
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$BENCH_REGISTRY_PORT
EOF
  /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
  BENCH_REGISTRY_PID=$!
  for ((i = 0; i < 100; i++)); do
    if curl -fsS "http://127.0.0.1:$BENCH_REGISTRY_PORT/v2/" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  cat "$dir/log" >&2
  echo "bench: docker-registry did not answer on 127.0.0.1:$BENCH_REGISTRY_PORT" >&2
  return 1
}

bench_proxy_start() {
  local ms=$1 in=$2 out=$3 far=$((BENCH_REGISTRY_PORT - 1)) log i
  bench_proxy_stop # one proxy at a time: its port is fixed
  log=$(mktemp)
  python3 "$(dirname "${BASH_SOURCE[0]}")/delay-proxy.py" "$far" "$BENCH_REGISTRY_PORT" "$ms" \
    >"$log" 2>&1 </dev/null &
  BENCH_PROXY_PID=$!
  for ((i = 0; i < 50; i++)); do
    grep -q listening "$log" && break
    sleep 0.1
  done
  if ! grep -q listening "$log"; then
    cat "$log" >&2
    rm -f "$log"
    echo "bench: the delay proxy did not answer on 127.0.0.1:$far" >&2
    return 1
  fi
  rm -f "$log"
  sed "s#$BENCH_REGISTRY/#localhost:$far/#" "$in" >"$out.tmp"
  mv "$out.tmp" "$out"
}

bench_proxy_stop() {
  if [[ -n $BENCH_PROXY_PID ]]; then
    kill "$BENCH_PROXY_PID" 2>/dev/null || true
    wait "$BENCH_PROXY_PID" 2>/dev/null || true
    BENCH_PROXY_PID=
  fi
}

bench_registry_stop() {
  bench_proxy_stop
  if [[ -n $BENCH_REGISTRY_PID ]]; then
    kill "$BENCH_REGISTRY_PID" 2>/dev/null || true
    wait "$BENCH_REGISTRY_PID" 2>/dev/null || true
    BENCH_REGISTRY_PID=
BENCH_PROXY_PID=
  fi
}

# _bench_push_blob NAME FILE: monolithic upload; prints the digest.
_bench_push_blob() {
  local name=$1 file=$2 digest location sep
  digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
  location=$(curl -fsS -X POST -D - -o /dev/null "http://$BENCH_REGISTRY/v2/$name/blobs/uploads/" |
    tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
  [[ $location == http* ]] || location=http://$BENCH_REGISTRY$location
  sep='?'
  [[ $location == *'?'* ]] && sep='&'
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
    "$location${sep}digest=$digest" >/dev/null
  echo "$digest"
}

bench_registry_push() {
  local ref=$1 name tag dir layer config manifest ld cd
  name=${ref%%:*}
  tag=${ref#*:}
  dir=$(mktemp -d)
  layer=$dir/layer.tar config=$dir/config.json manifest=$dir/manifest.json
  head -c 1024 /dev/zero >"$layer" # an empty tar archive
  ld=$(sha256sum "$layer" | cut -d' ' -f1)
  # IMAGE=NAME:TAG makes every image's config (and manifest) its own, as real images are: no
  # config blob or cache entry is shared between them.
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","IMAGE=%s"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$ref" "$ld" >"$config"
  ld=$(_bench_push_blob "$name" "$layer")
  cd=$(_bench_push_blob "$name" "$config")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}' \
    "$cd" "$(stat -c %s "$config")" "$ld" "$(stat -c %s "$layer")" >"$manifest"
  curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$manifest" "http://$BENCH_REGISTRY/v2/$name/manifests/$tag" >/dev/null
  rm -rf "$dir"
}

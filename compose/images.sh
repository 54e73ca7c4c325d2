#!/usr/bin/env bash
# Builds the four context images with podman on a machine that cannot pull images, then runs
# each one against the local stack, through its gateway. Too slow for CI (a release build inside
# a container); run it by hand:   compose/images.sh
#
# 1. Bases made locally, under the names compose/Dockerfile uses: debian:bookworm-slim from
#    debootstrap, and swift:6.3-bookworm from that plus this machine's Swift toolchain and its
#    local copies of the Swift packages (/opt/swift, /opt/swift-packages).
# 2. compose/Dockerfile built unchanged, once per target (the build stage is built once and
#    cached for the other three).
# 3. With the local stack up (scripts/stack up), each context in turn: the native server is
#    stopped, the image runs on the host network in its place, and health, readiness, the
#    image's HEALTHCHECK and one route through the gateway are checked, its idle working set is
#    read (what an orchestrator counts: the cgroup's memory.current minus inactive_file);
#    then SIGTERM, and the native server comes back.
#
# podman runs as root here with cgroupfs and runc and explicit ulimits: the default crun and
# systemd settings fail on this machine's cgroups and limits. IMAGES_DIR (default
# /var/tmp/lomash-wood-images) keeps the debootstrap tree between runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$REPO_ROOT"

WORK=${IMAGES_DIR:-/var/tmp/lomash-wood-images}
# The same settings for every podman command, health checks included (they take no flags).
mkdir -p "$WORK"
cat > "$WORK/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF
export CONTAINERS_CONF=$WORK/containers.conf
PODMAN=(podman --cgroup-manager=cgroupfs --runtime runc)
LIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
BASE=docker.io/library/debian:bookworm-slim
SWIFT=docker.io/library/swift:6.3-bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

install_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

make_base() {
  "${PODMAN[@]}" image exists "$BASE" && return 0
  log "making $BASE with debootstrap (a few minutes)"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  # What the official slim image leaves out.
  rm -rf "$WORK"/rootfs/usr/share/{doc,man,info,locale}/* "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
  tar -C "$WORK/rootfs" -c . | "${PODMAN[@]}" import --change 'CMD ["bash"]' - "$BASE" >/dev/null
}

make_swift() {
  "${PODMAN[@]}" image exists "$SWIFT" && return 0
  log "making $SWIFT from the installed toolchain"
  mkdir -p "$WORK/swift"
  cat > "$WORK/swift/Containerfile" <<CONTAINERFILE
FROM $BASE
RUN apt-get update && apt-get install -y --no-install-recommends binutils git libc6-dev \\
      libcurl4-openssl-dev libedit2 libgcc-12-dev libsqlite3-0 libstdc++-12-dev libxml2-dev \\
      libz3-dev libncurses6 pkg-config tzdata zlib1g-dev ca-certificates \\
    && rm -rf /var/lib/apt/lists/*
RUN cp -a /mnt/swift /opt/swift && cp -a /mnt/swift-packages /opt/swift-packages \\
    && git config --system url./opt/swift-packages/.insteadOf https://github.com/
ENV PATH=/opt/swift/usr/bin:\$PATH
CONTAINERFILE
  "${PODMAN[@]}" build --network host "${LIMITS[@]}" --pull=never \
    -v /opt/swift:/mnt/swift:ro -v /opt/swift-packages:/mnt/swift-packages:ro \
    -t "$SWIFT" "$WORK/swift"
}

build_images() {
  local context started fresh=--no-cache
  for context in "${CONTEXTS[@]}"; do
    log "building lomash-wood/$context"
    started=$SECONDS
    # Docker's image format: OCI images have no HEALTHCHECK. The first target is built without
    # podman's layer cache, which was seen to reuse a COPY of changed sources (the build folder
    # is a cache mount, so this recompiles only what changed); the other three reuse its layers.
    "${PODMAN[@]}" build --format docker --network host "${LIMITS[@]}" --pull=never $fresh \
      --build-arg COMMIT="$(git rev-parse --short=7 HEAD)" -f compose/Dockerfile --target "$context" -t "lomash-wood/$context" . >"$WORK/build-$context.log" 2>&1 \
      || { tail -n 30 "$WORK/build-$context.log" >&2; die "building $context failed"; }
    log "built lomash-wood/$context in $((SECONDS - started)) s"
    fresh=
  done
}

# One route per context through the gateway, with a customer token.
check_route() { # CONTEXT GATEWAY_PORT TOKEN
  local path
  case "$1" in
    profiles) path=/v1/customers/notification-preferences ;;
    engagement) path=/v1/customers/wishlist ;;
    support) path=/v1/customers/support/tickets ;;
    loyalty) path=/v1/customers/loyalty ;;
  esac
  curl -sS -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $3" "http://127.0.0.1:$2$path" || true
}

# working_set PID: the working set of PID's container, as the kubelet and `docker stats` count it:
# the cgroup's memory use minus its inactive file pages (cgroup v2 memory.current and
# memory.stat's inactive_file; v1 memory.usage_in_bytes and total_inactive_file).
working_set() {
  local v2 v1
  v2=$(awk -F: '$1 == "0" {print $3}' "/proc/$1/cgroup")
  if [ -n "$v2" ] && [ -f "/sys/fs/cgroup$v2/memory.current" ]; then
    awk -v used="$(cat "/sys/fs/cgroup$v2/memory.current")" '$1 == "inactive_file" {printf "%.0fMB", (used - $2) / 1048576}' \
      "/sys/fs/cgroup$v2/memory.stat"
  else
    v1=/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' "/proc/$1/cgroup")
    awk -v used="$(cat "$v1/memory.usage_in_bytes")" '$1 == "total_inactive_file" {printf "%.0fMB", (used - $2) / 1048576}' "$v1/memory.stat"
  fi
}

run_images() {
  eval "$(scripts/stack env)"
  source "${STACK_DIR:-$REPO_ROOT/.stack}/ports.env"
  curl -fsS -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/health" || die "start the local stack first: scripts/stack up"
  local token; token=$(scripts/token --sub image-check)
  local context port name started ready_ms code health stop_started pid memory
  printf '%-11s %-9s %-9s %-9s %-8s %-9s %-10s %s\n' context size ready-in route health working-set stop exit >"$WORK/summary.txt"
  for context in "${CONTEXTS[@]}"; do
    port=$(eval echo "\$$(echo "$context" | tr a-z A-Z)_PORT") name=lw-check-$context
    scripts/stack stop "$context" >/dev/null
    "${PODMAN[@]}" rm -f "$name" >/dev/null 2>&1 || true
    started=$(date +%s%N)
    "${PODMAN[@]}" run -d --name "$name" --network host "${LIMITS[@]}" \
      -e PORT="$port" -e HOST=127.0.0.1 -e DATABASE_URL="$(context_database_url "$context" "$PG_PORT")" \
      -e REDIS_URL="$REDIS_URL" -e KAFKA_BROKERS="$KAFKA_BROKERS" -e JWT_SECRET="$JWT_SECRET" \
      "lomash-wood/$context" >/dev/null
    wait_ready "http://127.0.0.1:$port/health/ready" 60 || { "${PODMAN[@]}" logs "$name" | tail -n 20 >&2; die "$context's image did not become ready"; }
    ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    curl -fsS -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/health/$context" || die "the gateway does not reach $context's image"
    code=$(check_route "$context" "$GATEWAY_PORT" "$token")
    health=$("${PODMAN[@]}" healthcheck run "$name" >/dev/null 2>&1 && echo healthy || echo unhealthy)
    # Idle, 5 s after the checks.
    pid=$("${PODMAN[@]}" inspect -f '{{.State.Pid}}' "$name")
    sleep 5
    memory=$(working_set "$pid")
    stop_started=$(date +%s%N)
    "${PODMAN[@]}" stop -t 20 "$name" >/dev/null
    local exit_code; exit_code=$("${PODMAN[@]}" inspect -f '{{.State.ExitCode}}' "$name")
    printf '%-11s %-9s %-9s %-9s %-8s %-9s %-10s %s\n' "$context" \
      "$("${PODMAN[@]}" image inspect -f '{{.Size}}' "lomash-wood/$context" | awk '{printf "%.0fMB", $1/1e6}')" \
      "${ready_ms}ms" "$code" "$health" "$memory" "$(( ($(date +%s%N) - stop_started) / 1000000 ))ms" "$exit_code" >>"$WORK/summary.txt"
    "${PODMAN[@]}" rm -f "$name" >/dev/null
    STACK_BIN_DIR=$BIN_DIR scripts/stack up >/dev/null 2>&1 || die "the native $context did not come back"
    [ "$code" = 200 ] && [ "$health" = healthy ] && [ "$exit_code" = 0 ] || { cat "$WORK/summary.txt"; die "$context's image failed a check"; }
  done
  cat "$WORK/summary.txt"
}

install_tools
make_base
make_swift
build_images
run_images

#!/usr/bin/env bash
# Regenerates scripts/lib/idle-functions.txt: every function a context server runs while it
# serves nothing, which release builds lay out first and together (docs/performance.md,
# "Memory: the code an idle server runs, laid out first"). An idle server still runs code every
# few seconds (the pool's health check, the outbox listener, the Kafka client's polls, the
# quiet-spell look, the orchestrator's readiness probe). Sampling cannot list that code: it
# uses about 0.1 % of a core, and a function a sampler misses costs a 64 KiB page-in each
# time the server has paged out. So each context runs once more under valgrind's callgrind,
# which counts every function executed: it settles, its counts are zeroed, and it idles for
# IDLE_SECONDS (95: three quiet-spell looks) while /health and /health/ready are probed
# every 5 s, as the images' HEALTHCHECK does.
#
# Needs the local stack running (scripts/stack up): the instances join it on spare ports.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
[ -f .stack/ports.env ] || die "start the stack first: scripts/stack up"
source .stack/ports.env
# The stack's settings (JWT_SECRET, …) as its instances were started with them.
if [ -f .stack/settings.env ]; then set -a; source .stack/settings.env; set +a; fi
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }

WORK=$(mktemp -d /tmp/lomash-wood-idle.XXXXXX)
trap 'for c in "${CONTEXTS[@]}"; do stop_pid "$WORK/services/$c.pid" "$c under callgrind" || true; done; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin" "$WORK/services"

# valgrind cannot read the debug information of our binaries ("possibly corrupted"), so it
# runs copies without it; the symbol table, which names the functions, stays.
for context in "${CONTEXTS[@]}"; do
  objcopy --strip-debug "$BIN_DIR/$context" "$WORK/bin/$context.nodebug"
  cat > "$WORK/bin/$context" <<WRAPPER
#!/bin/sh
exec valgrind --tool=callgrind --demangle=no --compress-strings=no --dump-instr=no --compress-pos=no \\
  --callgrind-out-file=$WORK/$context.callgrind "$WORK/bin/$context.nodebug" "\$@"
WRAPPER
  chmod +x "$WORK/bin/$context"
done

declare -A port
for context in "${CONTEXTS[@]}"; do
  port[$context]=$(free_port)
  service_start "$WORK" "$WORK/bin" "$context" "${port[$context]}" "$PG_PORT" "$REDIS_PORT" "$(cat .stack/kafka/address)"
done
for context in "${CONTEXTS[@]}"; do
  wait_ready "http://127.0.0.1:${port[$context]}/health/ready" 180 \
    || { tail -n 20 "$WORK/services/$context.log" >&2; die "$context under callgrind did not become ready"; }
done
# Past the start-up page release (10 s after start) and its first looks.
sleep 30
for context in "${CONTEXTS[@]}"; do callgrind_control -z "$(cat "$WORK/services/$context.pid")" >/dev/null; done
log "idling ${IDLE_SECONDS:-95} s under callgrind, probed every 5 s"
deadline=$((SECONDS + ${IDLE_SECONDS:-95}))
while [ $SECONDS -lt $deadline ]; do
  for context in "${CONTEXTS[@]}"; do
    curl -fsS -o /dev/null "http://127.0.0.1:${port[$context]}/health"
    curl -fsS -o /dev/null "http://127.0.0.1:${port[$context]}/health/ready"
  done
  sleep 5
done
for context in "${CONTEXTS[@]}"; do callgrind_control -d idle "$(cat "$WORK/services/$context.pid")" >/dev/null; done

# Every function of our binaries with a cost in a dump, the costliest first across the four
# ("'2" marks a recursion level, not another function).
python3 - "$WORK"/*.callgrind.* > scripts/lib/idle-functions.txt <<'PY'
import collections, re, sys
cost = collections.Counter()
for path in sys.argv[1:]:
    obj = fn = None
    for line in open(path, errors="replace"):
        if line.startswith("ob="): obj = line[3:].strip()
        elif line.startswith("fn="): fn = re.sub(r"'\d+$", "", line[3:].strip())
        elif line[:1].isdigit() and fn and obj and obj.endswith(".nodebug"):
            fields = line.split()
            if len(fields) > 1: cost[fn] += int(fields[1])
for name, _ in cost.most_common():
    print(".text." + name)
PY
# The build does not track the list as an input: remove the linked programs so the next release
# build links them again with it.
for program in "${CONTEXTS[@]}" lw-dev kafka-dev-broker; do rm -f "$BIN_DIR/$program"; done
log "scripts/lib/idle-functions.txt: $(wc -l < scripts/lib/idle-functions.txt) functions; the next release build links with it"

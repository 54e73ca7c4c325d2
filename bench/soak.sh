#!/usr/bin/env bash
# The soak (issue 30): the bench stack (lib.sh: release build, its own ports, rate limiting off),
# seeded as bench/run.sh seeds it, under every context's reads and writes at once for
# SOAK_SECONDS (default 600), one wrk per route through the gateway:
#   reads   GET /profile (8 connections), GET /loyalty (4), the public product page (4),
#           GET /support/tickets (4) — all cached but the ticket list;
#   writes  admin EARN (8), PATCH /profile (2), wishlist add (4), ticket create (4) — each with
#           its events, which the relays publish and the other contexts consume.
# Every SAMPLE_SECONDS (30) bench/soak.py records each context's RSS and PSS, its outbox backlog
# and its consumer's lag; once the load stops and the events have drained, it checks every
# projection against its source. The report — per-route throughput, p50, p99 and errors, the
# samples as a table and an SVG plot — goes to bench/results/soak-<time>-<commit>.md (SAVE=0 only
# prints it). Exits non-zero on any error or non-2xx answer, a projection that differs from its
# source, an outbox not drained, a context whose RSS or PSS exceeded MEMORY_LIMIT_MB (64), or
# memory that still grows over the last third of the run (GROWTH_LIMIT_MB, 2). STACK_BIN_DIR runs
# other binaries, as for bench/run.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export SOAK_SECONDS=${SOAK_SECONDS:-600} SAMPLE_SECONDS=${SAMPLE_SECONDS:-30}
bench_up
export ADMIN_TOKEN
ADMIN_TOKEN=$(JWT_SECRET=$DEV_JWT_SECRET "$BIN_DIR/lw-dev" token --sub bench-admin --role admin --expires-in 86400)
bench_seed
soak=$STACK_DIR/soak
rm -rf "$soak" && mkdir -p "$soak"

# route NAME CONNECTIONS SCRIPT [VAR=VALUE …]: one wrk for the whole soak, in the background.
wrk_pids=()
route() {
  local name=$1 connections=$2 script=$3
  shift 3
  local file=$soak/${name//[^A-Za-z0-9]/_}.wrk
  echo "$name" > "$file"
  env "$@" wrk -t1 -c"$connections" -d"${SOAK_SECONDS}s" --timeout 10s -s "$script" "$GATEWAY" >> "$file" 2>&1 &
  wrk_pids+=($!)
}

log "soak: every route at once for $SOAK_SECONDS s, sampled every $SAMPLE_SECONDS s"
export DATABASE_NAME SOAK_STARTED
SOAK_STARTED=$(date +%s) started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
python3 bench/soak.py sample "$soak/samples.jsonl" & sampler=$!
route "GET /profile" 8 bench/customer-read.lua READ_PATH=/v1/customers/profile
route "GET /loyalty" 4 bench/customer-read.lua READ_PATH=/v1/customers/loyalty
route "GET /reviews/product/:id" 4 bench/product-page.lua
route "GET /support/tickets" 4 bench/customer-read.lua READ_PATH=/v1/customers/support/tickets
route "POST /loyalty/transactions (EARN)" 8 bench/loyalty-write.lua
route "PATCH /profile" 2 bench/profile-update.lua
route "POST /wishlist/items" 4 bench/wishlist-add.lua
route "POST /support/tickets" 4 bench/ticket-create.lua
wait "${wrk_pids[@]}"

log "load over; waiting up to 120 s for every outbox and consumer to drain"
kill "$sampler"; wait "$sampler" 2>/dev/null || true
python3 bench/soak.py drain 120 || true
python3 bench/soak.py sample "$soak/samples.jsonl" --once

commit=$(bench_commit)
name=$(bench_result_name soak "$commit")
out=bench/results
[ "${SAVE:-1}" != 0 ] || out=$soak
python3 bench/soak.py report "$soak" "$out/$name" "$started" "$commit${BENCH_LABEL:+ — $BENCH_LABEL}"

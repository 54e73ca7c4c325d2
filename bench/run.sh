#!/usr/bin/env bash
# The whole platform's benchmark in one run (issue 13), on the bench stack (lib.sh: a fresh
# release build, its own ports, rate limiting off), wrk -t1 -c64 through the gateway:
#   1. the ceilings: nginx answering a static JSON body; pgbench -n -S and -N (-c 64 -j 2 -T 10)
#      on the bench PostgreSQL;
#   2. each context's headline reads (cached): profile, loyalty account, public product page,
#      ticket list; and two that are never cached, because they span customers: the staff ticket
#      list (an agent's, any of the first 100 pages) and the moderation queue (an admin's,
#      approved reviews, any of the first 100 pages);
#   3. its headline writes with their events: loyalty admin EARN, wishlist add, ticket create
#      (the relay publishes each write's events to the dev broker, profiles consumes them);
#   4. the event bus end to end (lw-dev bench-events on the same PostgreSQL);
# then prints one table — requests/s, p50, p99, the ratio to the figure's ceiling and the serving
# server's CPU per request — with every context's idle PSS (before the loads, and once quiet after
# them) and its peak during each load, where the CPU went and what PostgreSQL waited on in each
# load, and writes it, dated, with the commit, to bench/results/ (SAVE=0 only prints;
# BENCH_LABEL names the run). Every performance claim quotes such a table. DURATION (default
# 20s) is each measured phase; CUSTOMERS (10,000) and PRODUCTS (1,000) size the seeded data.
# STACK_BIN_DIR runs other binaries (e.g. an earlier commit's release build) on the same script.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$(date -u +%Y-%m-%dT%H:%MZ)
bench_up
export ADMIN_TOKEN AGENT_TOKEN
ADMIN_TOKEN=$(JWT_SECRET=$DEV_JWT_SECRET "$BIN_DIR/lw-dev" token --sub bench-admin --role admin --expires-in 86400)
AGENT_TOKEN=$(JWT_SECRET=$DEV_JWT_SECRET "$BIN_DIR/lw-dev" token --sub bench-agent --role agent --expires-in 86400)

bench_seed

log "ceilings: nginx static body ($DURATION), pgbench -S and -N (10 s each)"
static_nginx_start "$(curl -s -H "Authorization: Bearer $(head -n1 "$TOKENS_FILE")" "$GATEWAY/v1/customers/profile")"
static=$(static_nginx_wrk "$DURATION")
pgbench_s=$(bench_pgbench -S)
pgbench_n=$(bench_pgbench -N)

# Waits until every context's relay has published its writes and profiles has applied them, and
# flushes what they dirtied, so one phase's backlog does not slow the next.
settle() {
  local schema
  for schema in "${CONTEXTS[@]}"; do
    until [ "$(pg_psql "$STACK_DIR" "$PG_PORT" -d "$DATABASE_NAME" -tAc "SELECT count(*) FROM $schema.outbox WHERE published_at IS NULL")" = 0 ]; do sleep 1; done
  done
  sleep 3
  bench_sql "CHECKPOINT"
}

idle_pss=$(pss_all)

READ_PATH=/v1/customers/profile bench_phase bench/customer-read.lua "profile reads" profiles > "$STACK_DIR/profile.result"
READ_PATH=/v1/customers/loyalty bench_phase bench/customer-read.lua "loyalty account reads" loyalty > "$STACK_DIR/loyalty-read.result"
bench_phase bench/product-page.lua "product pages" engagement > "$STACK_DIR/product.result"
READ_PATH=/v1/customers/support/tickets bench_phase bench/customer-read.lua "ticket lists" support > "$STACK_DIR/tickets.result"
READ_PATH=/v1/customers/support/tickets STAFF_TOKEN=$AGENT_TOKEN PAGES=100 \
  bench_phase bench/staff-read.lua "staff ticket lists" support > "$STACK_DIR/staff-tickets.result"
READ_PATH="/v1/customers/reviews/moderation?status=APPROVED" STAFF_TOKEN=$ADMIN_TOKEN PAGES=100 \
  bench_phase bench/staff-read.lua "moderation queue" engagement > "$STACK_DIR/moderation.result"
bench_phase bench/loyalty-write.lua "loyalty admin EARN writes" loyalty > "$STACK_DIR/loyalty-write.result"
settle
bench_phase bench/wishlist-add.lua "wishlist adds" engagement > "$STACK_DIR/wishlist.result"
settle
bench_phase bench/ticket-create.lua "ticket creates" support > "$STACK_DIR/ticket-create.result"
settle
# Indexes no statement has used since the bench database was made (pg_stat_user_indexes).
unused=$(pg_psql "$STACK_DIR" "$PG_PORT" -d "$DATABASE_NAME" -tAc "
  SELECT string_agg(schemaname || '.' || indexrelname, ', ' ORDER BY schemaname, indexrelname) FROM pg_stat_user_indexes
  WHERE idx_scan = 0 AND schemaname IN ('profiles', 'engagement', 'support', 'loyalty')")

log "event bus: lw-dev bench-events on the bench PostgreSQL"
"$BIN_DIR/lw-dev" bench-events --database-url "postgres://postgres:postgres@127.0.0.1:$PG_PORT/$DATABASE_NAME" \
  > "$STACK_DIR/eventbus.result"
eventbus_rate=$(sed -n 's/.*: \([0-9]*\) events\/s end to end.*/\1/p' "$STACK_DIR/eventbus.result")
eventbus_latency=$(sed -n 's/.*p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \2/p' "$STACK_DIR/eventbus.result")

# Idle once the traffic is over and the gateway's idle connections have closed (nginx keeps
# them for 60 s).
log "waiting 65 s for the servers to go quiet"
sleep 65
quiet_pss=$(pss_all)

# row FIGURE RESULT CEILING_NAME CEILING: one line of the table.
row() {
  local rps p50 p99 cpu
  rps=$(requests_per_second "$2")
  p50=$(echo "$2" | sed 's/.*p50_ms=\([0-9.]*\).*/\1/')
  p99=$(echo "$2" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/')
  cpu=$(echo "$2" | sed -n 's/.*cpu_us=\([0-9]*\).*/\1 µs/p')
  printf '| %s | %s | %s ms | %s ms | %s of %s | %s |\n' "$1" "$rps" "$p50" "$p99" "$(ratio "$rps" "$4")" "$3" "$cpu"
}
static_rps=$(requests_per_second "$static")
n_tps=$(pgbench_tps "$pgbench_n") s_tps=$(pgbench_tps "$pgbench_s")
table=$(
  echo "| figure | requests/s | p50 | p99 | ratio to its ceiling | its server's CPU per request |"
  echo "|---|---|---|---|---|---|"
  row "ceiling: nginx static body" "$static" "itself" "$static_rps"
  echo "| ceiling: pgbench -S | $s_tps tps | | | | |"
  echo "| ceiling: pgbench -N | $n_tps tps | | | | |"
  row "GET /profile (cached)" "$(cat "$STACK_DIR/profile.result")" "nginx static" "$static_rps"
  row "GET /loyalty (cached)" "$(cat "$STACK_DIR/loyalty-read.result")" "nginx static" "$static_rps"
  row "GET /reviews/product/:id (public, cached)" "$(cat "$STACK_DIR/product.result")" "nginx static" "$static_rps"
  row "GET /support/tickets" "$(cat "$STACK_DIR/tickets.result")" "pgbench -S" "$s_tps"
  row "GET /support/tickets (staff, uncached)" "$(cat "$STACK_DIR/staff-tickets.result")" "pgbench -S" "$s_tps"
  row "GET /reviews/moderation (admin, uncached)" "$(cat "$STACK_DIR/moderation.result")" "pgbench -S" "$s_tps"
  row "POST /loyalty/transactions (admin EARN)" "$(cat "$STACK_DIR/loyalty-write.result")" "pgbench -N" "$n_tps"
  row "POST /wishlist/items" "$(cat "$STACK_DIR/wishlist.result")" "pgbench -N" "$n_tps"
  row "POST /support/tickets" "$(cat "$STACK_DIR/ticket-create.result")" "pgbench -N" "$n_tps"
  # shellcheck disable=SC2086
  printf '| event bus end to end (events/s; latency at 500/s) | %s | %s ms | %s ms | %s of pgbench -N | |\n' \
    "$eventbus_rate" $(echo "$eventbus_latency" | awk '{print $1}') $(echo "$eventbus_latency" | awk '{print $2}') "$(ratio "$eventbus_rate" "$n_tps")"
  echo
  echo "PSS per context, idle before the loads: $idle_pss; idle 65 s after them: $quiet_pss."
  echo "Peak PSS per context during each load (sampled each second):"
  echo
  sed 's/^/- /' "$STACK_DIR/phase-pss"
  echo
  echo "CPU used during each load, by process group:"
  echo
  sed 's/^/- /' "$STACK_DIR/phase-cpu"
  echo
  echo "What PostgreSQL's active backends waited on during each load (share of samples; CPU is none):"
  echo
  sed 's/^/- /' "$STACK_DIR/phase-waits"
  echo
  echo "Indexes no statement used since the bench database was made: ${unused:-none}"
)
echo "$table"
if [ "${SAVE:-1}" != 0 ]; then
  commit=$(bench_commit)
  result=bench/results/$(bench_result_name run "$commit").md
  mkdir -p bench/results
  {
    echo "# bench/run.sh, $started, commit $commit${BENCH_LABEL:+ — $BENCH_LABEL}${STACK_BIN_DIR:+ (binaries: $STACK_BIN_DIR)}"
    echo
    echo "$table"
  } > "$result"
  log "written to $result"
fi

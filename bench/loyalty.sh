#!/usr/bin/env bash
# Loyalty through the nginx gateway, wrk -t1 -c64 on the same machine: an admin's EARN
# transactions for random customers of 10,000 (each one locks the account, writes the ledger
# entry, the lot, the balance and two outbox events, which the relay then publishes to the dev
# broker), then GET /v1/customers/loyalty with one token per customer. Reports requests/s,
# p50, p99, the loyalty server's CPU per request (cpu_us) and every context's peak PSS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_up
export ADMIN_TOKEN READ_PATH=/v1/customers/loyalty
ADMIN_TOKEN=$(JWT_SECRET=$DEV_JWT_SECRET "$BIN_DIR/lw-dev" token --sub bench-admin --role admin --expires-in 86400)

bench_seed

writes=$(bench_phase bench/loyalty-write.lua "admin EARN writes" loyalty)
# Measure reads on their own: let the relay publish the writes' events and the profiles
# consumer apply them, flush what the writes dirtied (CHECKPOINT), and warm the cache again
# (every write dropped its account's entry).
until [ "$(pg_psql "$STACK_DIR" "$PG_PORT" -d "$DATABASE_NAME" -tAc "SELECT count(*) FROM loyalty.outbox WHERE published_at IS NULL")" = 0 ]; do sleep 1; done
sleep 5
bench_sql "CHECKPOINT"
reads=$(bench_phase bench/customer-read.lua "account reads" loyalty)
echo "POST /v1/customers/loyalty/transactions: $writes"
echo "GET /v1/customers/loyalty:               $reads"
echo "peak PSS, CPU and database waits during each load:"
cat "$STACK_DIR/phase-pss" "$STACK_DIR/phase-cpu" "$STACK_DIR/phase-waits"

#!/usr/bin/env bash
# Support through the nginx gateway, wrk -t1 -c64 on the same machine, beside its ceilings
# measured in the same run: `pgbench -n -N` (writes) and `pgbench -n -S` (reads), -c 64 -j 2
# -T 10, on the bench PostgreSQL.
#   - ticket lists `GET /v1/customers/support/tickets` for random customers of 10,000 holding 5
#     tickets each (measured first, while each holds exactly 5);
#   - ticket creates `POST /v1/customers/support/tickets` for random customers (each writes the
#     ticket, its first message and an outbox event, which the relay publishes and profiles
#     consumes into its portal projection).
# Reports requests/s, p50, p99, the ratio to the ceiling, and every context's peak PSS
# during each load.
# Figures worth keeping go to bench/results/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_up
bench_seed

log "ceilings: pgbench -N and -S (10 s each)"
pgbench_n=$(bench_pgbench -N)
pgbench_s=$(bench_pgbench -S)

export READ_PATH=/v1/customers/support/tickets
lists=$(bench_phase bench/customer-read.lua "ticket lists")
creates=$(bench_phase bench/ticket-create.lua "ticket creates")

echo "pgbench -N:                          $pgbench_n"
echo "pgbench -S:                          $pgbench_s"
echo "GET /v1/customers/support/tickets:   $lists  ($(ratio "$(requests_per_second "$lists")" "$(pgbench_tps "$pgbench_s")") of pgbench -S)"
echo "POST /v1/customers/support/tickets:  $creates  ($(ratio "$(requests_per_second "$creates")" "$(pgbench_tps "$pgbench_n")") of pgbench -N)"
echo "peak PSS during each load:"; cat "$STACK_DIR/phase-pss"

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

log "creating 5 tickets, each with its first message, for each of $CUSTOMERS customers"
bench_sql "
  INSERT INTO support.tickets (id, ticket_ref, user_id, subject, category, priority, created_at, updated_at)
  SELECT gen_random_uuid(), 'TKT-' || upper(lpad(to_hex(c * 5 + t), 8, '0')), 'bench-' || c, 'Seeded ticket ' || t, 'GENERAL', 'MEDIUM',
         now() - (t || ' days')::interval, now() - (t || ' days')::interval
  FROM generate_series(1, $CUSTOMERS) c, generate_series(1, 5) t
  ON CONFLICT DO NOTHING;
  INSERT INTO support.ticket_messages (id, ticket_id, sender_type, sender_id, message, created_at)
  SELECT gen_random_uuid(), id, 'CUSTOMER', user_id, 'The first message of ' || subject, created_at FROM support.tickets
  WHERE user_id LIKE 'bench-%' AND NOT EXISTS (SELECT 1 FROM support.ticket_messages m WHERE m.ticket_id = tickets.id);
  ANALYZE support.tickets;
  ANALYZE support.ticket_messages;
  CHECKPOINT"

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

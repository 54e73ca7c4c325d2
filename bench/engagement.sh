#!/usr/bin/env bash
# Engagement through the nginx gateway, wrk -t1 -c64 on the same machine, beside its ceilings
# measured in the same run: nginx answering the product page's body statically, and
# `pgbench -n -N` / `-S` (-c 64 -j 2 -T 10) on the bench PostgreSQL.
#   - the public product page (summary + 20 approved reviews) for random products of 1,000, no token;
#   - wishlist adds for random customers of 10,000 (each locks the wishlist, writes the item, the
#     count and an outbox event, which the relay publishes and profiles consumes).
# Reports requests/s, p50, p99, the ratio to the ceiling, and every context's peak PSS
# during each load.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_up
bench_seed

static_nginx_start "$(curl -s "$GATEWAY/v1/customers/reviews/product/bench-product-1")"
log "ceilings: nginx static body ($DURATION), pgbench -N and -S (10 s each)"
static=$(static_nginx_wrk "$DURATION")
pgbench_n=$(bench_pgbench -N)
pgbench_s=$(bench_pgbench -S)

page=$(bench_phase bench/product-page.lua "product pages")
adds=$(bench_phase bench/wishlist-add.lua "wishlist adds")

echo "nginx static body:                         $static"
echo "pgbench -N:                                $pgbench_n"
echo "pgbench -S:                                $pgbench_s"
echo "GET /v1/customers/reviews/product/:id:     $page  ($(ratio "$(requests_per_second "$page")" "$(requests_per_second "$static")") of nginx static)"
echo "POST /v1/customers/wishlist/items:         $adds  ($(ratio "$(requests_per_second "$adds")" "$(pgbench_tps "$pgbench_n")") of pgbench -N)"
echo "peak PSS during each load:"; cat "$STACK_DIR/phase-pss"

#!/usr/bin/env bash
# GET /v1/customers/profile through the nginx gateway: 10,000 customers with a profile each
# and a token each, wrk -t1 -c64 on the same machine; beside it, in the same run, nginx
# answering a static JSON body. Reports requests/s, p50, p99 and every context's peak PSS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_up

bench_seed

# nginx answering a static JSON body of the same size, in its own instance.
static_nginx_start "$(curl -s -H "Authorization: Bearer $(head -n1 "$TOKENS_FILE")" "$GATEWAY/v1/customers/profile")"

export READ_PATH=/v1/customers/profile
profile=$(bench_phase bench/customer-read.lua "profile reads" profiles)
log "static JSON from nginx ($DURATION)"
static=$(static_nginx_wrk "$DURATION")
echo "GET /v1/customers/profile: $profile"
echo "nginx static JSON:         $static"
echo "peak PSS:                  $(cat "$STACK_DIR/phase-pss")"

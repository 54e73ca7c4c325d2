# Shared by the HTTP benchmarks: a stack of their own (.stack-bench/, own ports, release build,
# rate limit off, LOG_LEVEL=warning), stopped on exit; wrk installed when missing. Memory is
# reported as PSS (/proc/PID/smaps_rollup), which counts a page that n processes map as 1/n in
# each: what the four servers cost together, as an orchestrator would count them.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
export CUSTOMERS=${CUSTOMERS:-10000} PRODUCTS=${PRODUCTS:-1000} REVIEWS_PER_PRODUCT=${REVIEWS_PER_PRODUCT:-20}
DURATION=${DURATION:-20s}

export STACK_DIR=$REPO_ROOT/.stack-bench GATEWAY_PORT=${GATEWAY_PORT:-4106} PG_PORT=${PG_PORT:-55532} REDIS_PORT=${REDIS_PORT:-56479}
export PROFILES_PORT=4111 ENGAGEMENT_PORT=4112 SUPPORT_PORT=4113 LOYALTY_PORT=4114
export RATE_LIMIT_MAX_REQUESTS=0 LOG_LEVEL=warning
GATEWAY=http://127.0.0.1:$GATEWAY_PORT

# Starts the stack and writes one customer token per line for bench-1 … bench-$CUSTOMERS.
# STACK_BIN_DIR (scripts/stack) runs other binaries, e.g. an earlier commit's, for a comparison.
bench_up() {
  trap 'scripts/stack down >/dev/null 2>&1 || true; bench_cleanup' EXIT
  # Every run starts from an empty database and cache (KEEP_DATA=1 keeps the last run's), so a
  # run is not slowed by the rows earlier runs wrote.
  if [ "${KEEP_DATA:-0}" != 1 ]; then scripts/stack down >/dev/null 2>&1 || true; rm -rf "$STACK_DIR"; fi
  scripts/stack up >/dev/null
  rm -f "$STACK_DIR/phase-pss" "$STACK_DIR/phase-cpu" "$STACK_DIR/phase-waits"
  BIN_DIR=${STACK_BIN_DIR:-$(release_bin_dir)}
  export TOKENS_FILE=$STACK_DIR/tokens.txt
  JWT_SECRET=$DEV_JWT_SECRET "$BIN_DIR/lw-dev" token --sub bench- --count "$CUSTOMERS" --expires-in 86400 > "$TOKENS_FILE"
}

# bench_seed: $CUSTOMERS customers (profile, loyalty account, 5 tickets each, with their first
# messages) and $PRODUCTS products with $REVIEWS_PER_PRODUCT approved reviews each, straight into
# the tables (no events: projections start empty), then ANALYZE and CHECKPOINT.
bench_seed() {
  log "seeding: $CUSTOMERS customers (profile, loyalty account, 5 tickets each), $PRODUCTS products with $REVIEWS_PER_PRODUCT reviews each"
  bench_sql "
    INSERT INTO profiles.profiles (id, user_id, email, first_name, last_name, phone)
    SELECT gen_random_uuid(), 'bench-' || i, 'bench' || i || '@example.com', 'First' || i, 'Last' || i, '+44 20 7946 ' || lpad(i::text, 4, '0')
    FROM generate_series(1, $CUSTOMERS) i ON CONFLICT (user_id) DO NOTHING;
    INSERT INTO loyalty.accounts (user_id) SELECT 'bench-' || i FROM generate_series(1, $CUSTOMERS) i ON CONFLICT DO NOTHING;
    INSERT INTO engagement.customer_names (user_id, first_name, last_name, event_at)
    SELECT 'bench-reviewer-' || r, 'Reviewer' || r, 'Bench', now() FROM generate_series(1, $REVIEWS_PER_PRODUCT) r ON CONFLICT DO NOTHING;
    INSERT INTO engagement.reviews (id, user_id, product_id, category, rating, title, body, status, verified_purchase, created_at, moderated_at)
    SELECT gen_random_uuid(), 'bench-reviewer-' || r, 'bench-product-' || p, 'KITCHEN', 1 + (p + r) % 5, 'Review ' || r,
           'A solid piece of furniture, review number ' || r || ' of product ' || p || '.', 'APPROVED', r % 2 = 0,
           now() - (r || ' hours')::interval, now()
    FROM generate_series(1, $PRODUCTS) p, generate_series(1, $REVIEWS_PER_PRODUCT) r ON CONFLICT DO NOTHING;
    INSERT INTO engagement.product_ratings (product_id, counts)
    SELECT product_id, ARRAY[count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
                             count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5)]::int[]
    FROM engagement.reviews WHERE status = 'APPROVED' AND product_id LIKE 'bench-product-%' GROUP BY product_id
    ON CONFLICT (product_id) DO UPDATE SET counts = EXCLUDED.counts;
    INSERT INTO support.tickets (id, ticket_ref, user_id, subject, category, priority, created_at, updated_at)
    SELECT gen_random_uuid(), 'TKT-' || upper(lpad(to_hex(c * 5 + t), 8, '0')), 'bench-' || c, 'Seeded ticket ' || t, 'GENERAL', 'MEDIUM',
           now() - (t || ' days')::interval, now() - (t || ' days')::interval
    FROM generate_series(1, $CUSTOMERS) c, generate_series(1, 5) t ON CONFLICT DO NOTHING;
    INSERT INTO support.ticket_messages (id, ticket_id, sender_type, sender_id, message, created_at)
    SELECT gen_random_uuid(), id, 'CUSTOMER', user_id, 'The first message of ' || subject, created_at FROM support.tickets
    WHERE user_id LIKE 'bench-%' AND NOT EXISTS (SELECT 1 FROM support.ticket_messages m WHERE m.ticket_id = tickets.id);
    ANALYZE;
    CHECKPOINT"
}

# bench_commit: the working tree's short commit, marked +changes when the binaries it runs have
# uncommitted changes (not so for STACK_BIN_DIR's, which BENCH_LABEL should name).
bench_commit() {
  local commit; commit=$(git rev-parse --short HEAD)
  [ -n "${STACK_BIN_DIR:-}" ] || git diff --quiet HEAD -- Services Shared Package.swift || commit+='+changes'
  echo "$commit"
}

# bench_result_name KIND COMMIT: KIND-<time>-COMMIT[-BENCH_LABEL as a file name], for bench/results/.
bench_result_name() {
  local label=${BENCH_LABEL:+-${BENCH_LABEL//[^A-Za-z0-9._-]/-}}
  echo "$1-$(date -u +%Y-%m-%dT%H%MZ)-$2${label//--/-}"
}

bench_cleanup() { stop_pid "$STACK_DIR/static/nginx.pid" static-nginx; }

bench_sql() { pg_psql "$STACK_DIR" "$PG_PORT" -d "$DATABASE_NAME" -c "$1" >/dev/null; }

# wrk -t1 -c64 with a script; prints its RESULT line.
bench_wrk() { wrk -t1 -c64 -d"$2" -s "$1" "$GATEWAY" | grep RESULT; }

# bench_phase SCRIPT WHAT [CONTEXT]: a 5 s warm-up, then $DURATION measured; prints the RESULT
# line (with CONTEXT's CPU per request, see measure). While it is measured, samples what an
# operator would look at, each as a line "WHAT: …": every context's PSS each second, the
# peak to $STACK_DIR/phase-pss; the CPU each process group used (every context, PostgreSQL,
# nginx) to phase-cpu; and what PostgreSQL's active backends were waiting on, sampled every
# 0.2 s, to phase-waits.
bench_phase() {
  local sampler
  bench_wrk "$1" 5s >/dev/null
  log "$2 through the gateway ($DURATION)"
  sample_phase "$STACK_DIR/phase-samples" & sampler=$!
  local cpu_before; cpu_before=$(cpu_all)
  measure "$1" "${3:-}"
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  echo "$2: $(awk '$1 == "pss" { if ($3 > peak[$2]) peak[$2] = $3 } END { for (c in peak) printf "%s=%.0fMB ", c, peak[c] / 1024 }' "$STACK_DIR/phase-samples")" >> "$STACK_DIR/phase-pss"
  echo "$2: $(paste -d' ' <(echo "$cpu_before" | tr ' ' '\n') <(cpu_all | tr ' ' '\n') | awk -F'[= ]' 'NF >= 4 { printf "%s=%.1fs ", $1, ($4 - $2) / 1e6 }')" >> "$STACK_DIR/phase-cpu"
  echo "$2: $(awk '$1 == "wait" { n[$2]++; total++ } END { for (w in n) printf "%s %.0f%%\n", w, 100 * n[w] / total }' "$STACK_DIR/phase-samples" | sort -k2 -rn | head -5 | paste -sd, -)" >> "$STACK_DIR/phase-waits"
  rm -f "$STACK_DIR/phase-samples"
}

# sample_phase FILE: until killed, appends "pss CONTEXT KB" for every context each second and
# "wait EVENT" for each active PostgreSQL backend of the bench database (CPU when it waits on
# nothing) five times a second.
sample_phase() {
  local tick=0 context
  : > "$1"
  while true; do
    if (( tick % 5 == 0 )); then
      for context in "${CONTEXTS[@]}"; do
        awk -v c="$context" '$1 == "Pss:" { print "pss", c, $2 }' "/proc/$(head -n1 "$STACK_DIR/services/$context.pid")/smaps_rollup" >> "$1"
      done
    fi
    pg_psql "$STACK_DIR" "$PG_PORT" -d postgres -tAc "
      SELECT 'wait ' || coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
      WHERE datname = '$DATABASE_NAME' AND state = 'active' AND pid <> pg_backend_pid()" >> "$1" 2>/dev/null || true
    tick=$((tick + 1))
    sleep 0.2
  done
}

# cpu_all: CPU time (user + system, µs) of each context's server, of PostgreSQL (every process
# of the bench cluster) and of the gateway's nginx, as "name=µs …".
cpu_all() {
  local context line=""
  for context in "${CONTEXTS[@]}"; do line+="$context=$(cpu_us "$context") "; done
  line+="postgres=$(tree_cpu_us "$(head -n1 "$STACK_DIR/pg/data/postmaster.pid")") "
  line+="nginx=$(tree_cpu_us "$(cat "$STACK_DIR/gateway/nginx.pid" 2>/dev/null || echo 0)")"
  echo "$line"
}

# tree_cpu_us PID: the CPU time of PID and its children (PostgreSQL's backends, nginx's workers).
tree_cpu_us() {
  local pids
  pids=$(ps -o pid= --ppid "$1" 2>/dev/null; echo "$1")
  # shellcheck disable=SC2086
  for pid in $pids; do cat "/proc/$pid/stat" 2>/dev/null; done \
    | awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); total += $12 + $13 } END { printf "%d\n", total * 1000000 / hz }'
}

# measure SCRIPT [CONTEXT]: bench_wrk for $DURATION; with CONTEXT, its server's CPU time per
# request (user + system, µs) is appended to the RESULT line as cpu_us=N.
measure() {
  local before result
  [ -n "${2:-}" ] || { bench_wrk "$1" "$DURATION"; return; }
  before=$(cpu_us "$2")
  result=$(bench_wrk "$1" "$DURATION")
  echo "$result cpu_us=$(( ($(cpu_us "$2") - before) / $(echo "$result" | sed 's/.*requests=\([0-9]*\).*/\1/') ))"
}

# cpu_us CONTEXT: the CPU time (user + system) its server has used since it started, in µs.
# Divided by the requests a phase served, it is the server's cost per request: steadier than
# requests/s on a machine whose speed, and whose other load, varies between runs.
cpu_us() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1000000 / hz }' "/proc/$(head -n1 "$STACK_DIR/services/$1.pid")/stat"
}

# The ceilings every figure is reported beside, measured in the same run.
# static_nginx_start BODY: an nginx of its own on 127.0.0.1:4199 answering BODY as JSON (from a
# file: nginx's config cannot hold a body over 4 KiB).
static_nginx_start() {
  mkdir -p "$STACK_DIR/static/tmp" "$STACK_DIR/static/www"
  printf '%s' "$1" > "$STACK_DIR/static/www/body.json"
  cat > "$STACK_DIR/static/nginx.conf" <<CONF
worker_processes 1;
pid $STACK_DIR/static/nginx.pid;
error_log $STACK_DIR/static/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $STACK_DIR/static/tmp;
  proxy_temp_path $STACK_DIR/static/tmp;
  fastcgi_temp_path $STACK_DIR/static/tmp;
  uwsgi_temp_path $STACK_DIR/static/tmp;
  scgi_temp_path $STACK_DIR/static/tmp;
  server { listen 127.0.0.1:4199; default_type application/json; location / { root $STACK_DIR/static/www; try_files /body.json =404; } }
}
CONF
  nginx -p "$STACK_DIR/static" -c "$STACK_DIR/static/nginx.conf"
}

static_nginx_wrk() { wrk -t1 -c64 -d"$1" -s bench/report.lua "http://127.0.0.1:4199/" | grep RESULT; }

# bench_pgbench -N|-S: pgbench -n -c 64 -j 2 -T 10 on the bench PostgreSQL (scale 10, in a
# database of its own); prints "tps=… p50… " as one line.
bench_pgbench() {
  if ! pg_psql "$STACK_DIR" "$PG_PORT" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'pgbench'" | grep -q 1; then
    pg_psql "$STACK_DIR" "$PG_PORT" -d postgres -c "CREATE DATABASE pgbench"
    as_postgres "$PG_BIN/pgbench" -q -i -s 10 -h "$STACK_DIR/pg/run" -p "$PG_PORT" -U postgres pgbench >/dev/null 2>&1
  fi
  as_postgres "$PG_BIN/pgbench" -n "$1" -c 64 -j 2 -T 10 -h "$STACK_DIR/pg/run" -p "$PG_PORT" -U postgres pgbench 2>/dev/null \
    | awk '/latency average/ {lat=$4} /^tps/ {tps=$3} END {printf "tps=%.0f latency_avg_ms=%s\n", tps, lat}'
}

# pss_all: every context's PSS (/proc/PID/smaps_rollup), which counts a page that n processes
# map (the C libraries, shared by the four servers) as 1/n in each, where RSS counts it whole.
pss_all() {
  local context line=""
  for context in "${CONTEXTS[@]}"; do
    line+="$context=$(awk '$1 == "Pss:" {printf "%.0fMB", $2 / 1024}' "/proc/$(head -n1 "$STACK_DIR/services/$context.pid")/smaps_rollup") "
  done
  echo "$line"
}

# The figures of a RESULT line or a pgbench line, and one as a share of its ceiling.
requests_per_second() { echo "$1" | sed 's/.*requests\/s=\([0-9]*\).*/\1/'; }
pgbench_tps() { echo "$1" | sed 's/tps=\([0-9]*\).*/\1/'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }

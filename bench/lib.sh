# Shared by the HTTP benchmarks: a stack of their own (.stack-bench/, own ports, release build,
# rate limit off, LOG_LEVEL=warning), stopped on exit; wrk installed when missing.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
CUSTOMERS=${CUSTOMERS:-10000} DURATION=${DURATION:-20s}

export STACK_DIR=$REPO_ROOT/.stack-bench GATEWAY_PORT=${GATEWAY_PORT:-4106} PG_PORT=${PG_PORT:-55532} REDIS_PORT=${REDIS_PORT:-56479}
export PROFILES_PORT=4111 ENGAGEMENT_PORT=4112 SUPPORT_PORT=4113 LOYALTY_PORT=4114
export RATE_LIMIT_MAX_REQUESTS=0 LOG_LEVEL=warning
GATEWAY=http://127.0.0.1:$GATEWAY_PORT

# Starts the stack and writes one customer token per line for bench-1 … bench-$CUSTOMERS.
bench_up() {
  trap 'scripts/stack down >/dev/null 2>&1 || true; bench_cleanup' EXIT
  scripts/stack up >/dev/null
  rm -f "$STACK_DIR/phase-rss"
  BIN_DIR=$(release_bin_dir)
  export TOKENS_FILE=$STACK_DIR/tokens.txt
  JWT_SECRET=$DEV_JWT_SECRET "$BIN_DIR/lw-dev" token --sub bench- --count "$CUSTOMERS" --expires-in 86400 > "$TOKENS_FILE"
  settle_start_up
}

# Waits until every server has run 12 s, so each has handed back its start-up pages
# (ColdPages, 10 s after start), then keeps their start-up peak in STARTUP_PEAK_RSS and resets
# their peaks: what `rss` reports from here on is the peak under the benchmark's own load.
settle_start_up() {
  local context pid
  for context in "${CONTEXTS[@]}"; do
    pid=$(head -n1 "$STACK_DIR/services/$context.pid")
    while [ "$(ps -o etimes= -p "$pid" | tr -d ' ')" -lt 12 ]; do sleep 1; done
  done
  STARTUP_PEAK_RSS=$(rss_all VmHWM)
  reset_peak_rss_all
}

bench_cleanup() { stop_pid "$STACK_DIR/static/nginx.pid" static-nginx; }

bench_sql() { pg_psql "$STACK_DIR" "$PG_PORT" -d "$DATABASE_NAME" -c "$1" >/dev/null; }

# wrk -t1 -c64 with a script; prints its RESULT line.
bench_wrk() { wrk -t1 -c64 -d"$2" -s "$1" "$GATEWAY" | grep RESULT; }

# bench_phase SCRIPT WHAT [CONTEXT]: a 5 s warm-up, then $DURATION measured; prints the RESULT
# line (with CONTEXT's CPU per request, see measure). Every context's peak RSS during the phase
# (VmHWM, reset first) goes to $STACK_DIR/phase-rss as a line "WHAT: context=N MB …".
bench_phase() {
  reset_peak_rss_all
  bench_wrk "$1" 5s >/dev/null
  log "$2 through the gateway ($DURATION)"
  measure "$1" "${3:-}"
  echo "$2: $(rss_all VmHWM)" >> "$STACK_DIR/phase-rss"
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

# rss CONTEXT [FIELD]: a context's resident set from /proc/PID/status, VmHWM (its peak, the
# default) or VmRSS (now).
rss() { awk -v field="${2:-VmHWM}:" '$1 == field {printf "%.0f MB\n", $2 / 1024}' "/proc/$(head -n1 "$STACK_DIR/services/$1.pid")/status"; }

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

# rss_all [FIELD]: every context's RSS (rss) on one line.
rss_all() {
  local context line=""
  for context in "${CONTEXTS[@]}"; do line+="$context=$(rss "$context" "${1:-VmHWM}" | tr -d ' ') "; done
  echo "$line"
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

# reset_peak_rss_all: every context's VmHWM starts again from its VmRSS (proc(5), clear_refs 5),
# so that a peak measured afterwards is the peak under the load that follows, not the start-up's.
reset_peak_rss_all() {
  local context
  for context in "${CONTEXTS[@]}"; do echo 5 > "/proc/$(head -n1 "$STACK_DIR/services/$context.pid")/clear_refs"; done
}

# The figures of a RESULT line or a pgbench line, and one as a share of its ceiling.
requests_per_second() { echo "$1" | sed 's/.*requests\/s=\([0-9]*\).*/\1/'; }
pgbench_tps() { echo "$1" | sed 's/tps=\([0-9]*\).*/\1/'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }

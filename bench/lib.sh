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
  BIN_DIR=$(swift build -c release --show-bin-path)
  export TOKENS_FILE=$STACK_DIR/tokens.txt
  JWT_SECRET=$DEV_JWT_SECRET "$BIN_DIR/lw-dev" token --sub bench- --count "$CUSTOMERS" --expires-in 86400 > "$TOKENS_FILE"
}

bench_cleanup() { :; }

bench_sql() { pg_psql "$STACK_DIR" "$PG_PORT" -d "$DATABASE_NAME" -c "$1" >/dev/null; }

# wrk -t1 -c64 with a script; prints its RESULT line.
bench_wrk() { wrk -t1 -c64 -d"$2" -s "$1" "$GATEWAY" | grep RESULT; }

peak_rss() { awk '/VmHWM/ {printf "%.0f MB\n", $2 / 1024}' "/proc/$(cat "$STACK_DIR/services/$1.pid")/status"; }

#!/usr/bin/env bash
# GET /v1/customers/profile through the nginx gateway: 10,000 customers with a profile each
# and a token each, wrk -t1 -c64 on the same machine, rate limit off; beside it, in the same
# run, nginx answering a static JSON body. Reports requests/s, p50, p99 and the profiles
# server's peak RSS. Uses its own stack state (.stack-bench) and stops it afterwards.
# Results: docs/performance.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
CUSTOMERS=${CUSTOMERS:-10000} DURATION=${DURATION:-20s}

export STACK_DIR=$REPO_ROOT/.stack-bench GATEWAY_PORT=${GATEWAY_PORT:-4106} PG_PORT=${PG_PORT:-55532} REDIS_PORT=${REDIS_PORT:-56479}
export PROFILES_PORT=4111 ENGAGEMENT_PORT=4112 SUPPORT_PORT=4113 LOYALTY_PORT=4114
export RATE_LIMIT_MAX_REQUESTS=0 LOG_LEVEL=warning
trap 'scripts/stack down >/dev/null 2>&1 || true; stop_pid "$STACK_DIR/static/nginx.pid" static-nginx' EXIT
scripts/stack up >/dev/null
BIN_DIR=$(swift build -c release --show-bin-path)

log "creating $CUSTOMERS profiles"
pg_psql "$STACK_DIR" "$PG_PORT" -d "$DATABASE_NAME" -c "
  INSERT INTO profiles.profiles (id, user_id, email, first_name, last_name, phone)
  SELECT gen_random_uuid(), 'bench-' || i, 'bench' || i || '@example.com', 'First' || i, 'Last' || i, '+44 20 7946 ' || lpad(i::text, 4, '0')
  FROM generate_series(1, $CUSTOMERS) i ON CONFLICT (user_id) DO NOTHING" >/dev/null
TOKENS_FILE=$STACK_DIR/tokens.txt
JWT_SECRET=$DEV_JWT_SECRET "$BIN_DIR/lw-dev" token --sub bench- --count "$CUSTOMERS" --expires-in 86400 > "$TOKENS_FILE"
export TOKENS_FILE

# nginx answering a static JSON body of the same size, in its own instance.
mkdir -p "$STACK_DIR/static/tmp"
body=$(curl -s -H "Authorization: Bearer $(head -n1 "$TOKENS_FILE")" "http://127.0.0.1:$GATEWAY_PORT/v1/customers/profile")
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
  server { listen 127.0.0.1:4199; default_type application/json; location / { return 200 '$body'; } }
}
CONF
nginx -p "$STACK_DIR/static" -c "$STACK_DIR/static/nginx.conf"

log "warming up"
wrk -t1 -c64 -d5s -s bench/profile-read.lua "http://127.0.0.1:$GATEWAY_PORT" >/dev/null
log "profile reads through the gateway ($DURATION)"
profile=$(wrk -t1 -c64 -d"$DURATION" -s bench/profile-read.lua "http://127.0.0.1:$GATEWAY_PORT" | grep RESULT)
log "static JSON from nginx ($DURATION)"
static=$(wrk -t1 -c64 -d"$DURATION" -s bench/static.lua "http://127.0.0.1:4199/" | grep RESULT)
rss=$(awk '/VmHWM/ {print $2 / 1024 " MB"}' "/proc/$(cat "$STACK_DIR/services/profiles.pid")/status")
echo "GET /v1/customers/profile: $profile"
echo "nginx static JSON:         $static"
echo "profiles peak RSS:         $rss"

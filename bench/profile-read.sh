#!/usr/bin/env bash
# GET /v1/customers/profile through the nginx gateway: 10,000 customers with a profile each
# and a token each, wrk -t1 -c64 on the same machine; beside it, in the same run, nginx
# answering a static JSON body. Reports requests/s, p50, p99 and the profiles server's peak
# RSS. Results: docs/performance.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_cleanup() { stop_pid "$STACK_DIR/static/nginx.pid" static-nginx; }
bench_up

log "creating $CUSTOMERS profiles"
bench_sql "
  INSERT INTO profiles.profiles (id, user_id, email, first_name, last_name, phone)
  SELECT gen_random_uuid(), 'bench-' || i, 'bench' || i || '@example.com', 'First' || i, 'Last' || i, '+44 20 7946 ' || lpad(i::text, 4, '0')
  FROM generate_series(1, $CUSTOMERS) i ON CONFLICT (user_id) DO NOTHING"

# nginx answering a static JSON body of the same size, in its own instance.
mkdir -p "$STACK_DIR/static/tmp"
body=$(curl -s -H "Authorization: Bearer $(head -n1 "$TOKENS_FILE")" "$GATEWAY/v1/customers/profile")
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

export READ_PATH=/v1/customers/profile
log "warming up"
bench_wrk bench/customer-read.lua 5s >/dev/null
log "profile reads through the gateway ($DURATION)"
profile=$(bench_wrk bench/customer-read.lua "$DURATION")
log "static JSON from nginx ($DURATION)"
static=$(wrk -t1 -c64 -d"$DURATION" -s bench/report.lua "http://127.0.0.1:4199/" | grep RESULT)
echo "GET /v1/customers/profile: $profile"
echo "nginx static JSON:         $static"
echo "profiles peak RSS:         $(peak_rss profiles)"

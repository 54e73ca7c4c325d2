# Shared by scripts/stack and scripts/test: install what the platform needs, and start and
# stop its servers on loopback. Every server started here writes a pid file in the state
# folder, and is stopped by that pid.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DEV_JWT_SECRET=dev-secret-change-me-0123456789abcdef
DATABASE_NAME=lomash_wood_customer
CONTEXTS=(profiles engagement support loyalty)

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The dev password of a context's database role (a documented dev default, never a secret).
role_password() { echo "$1-dev-password"; }

# Installs the Debian packages the platform needs, if any is missing.
ensure_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  pkg-config --exists rdkafka 2>/dev/null || missing+=(librdkafka-dev)
  pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
  command -v curl >/dev/null || missing+=(curl)
  command -v pkill >/dev/null || missing+=(procps)
  command -v kcat >/dev/null || missing+=(kcat)
  # The test suite also checks compose/docker-compose.yml with `docker-compose config` (no
  # engine needed); the stack itself does not need it.
  [ -z "${WITH_TEST_TOOLS:-}" ] || command -v docker-compose >/dev/null || missing+=(docker-compose)
  # The test of the gateway's /docs drives it in headless Chromium.
  [ -z "${WITH_TEST_TOOLS:-}" ] || [ -x /usr/bin/chromedriver ] || missing+=(chromium chromium-driver)
  # promtool checks the alert rules in the tests; `scripts/stack up --with-prometheus` runs the server.
  if [ -n "${WITH_TEST_TOOLS:-}" ] || [ "${WITH_PROMETHEUS:-0}" = 1 ]; then
    command -v promtool >/dev/null || missing+=(prometheus)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); install them with apt-get as root"
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Every release build (scripts/stack, the benchmarks, scripts/token) uses one set of flags, the
# images' too (compose/Dockerfile), so no build relinks another's products: the Swift runtime and
# Foundation linked statically, so a server is one file with only the C libraries beside it.
RELEASE_BUILD=(-c release --static-swift-stdlib)
release_build() {
  (cd "$REPO_ROOT" && swift build "${RELEASE_BUILD[@]}" "$@")
  record_build_version "$(release_bin_dir)"
}
release_bin_dir() { (cd "$REPO_ROOT" && swift build "${RELEASE_BUILD[@]}" --show-bin-path); }

# record_build_version BIN_DIR: the version /health and build_info report for the binaries in
# BIN_DIR (ServiceKit's BuildVersion reads it beside the executable): VERSION and the commit,
# marked -dirty when tracked files had uncommitted changes.
record_build_version() {
  local commit
  commit=$(git -C "$REPO_ROOT" rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
  if [ "$commit" != unknown ] && ! git -C "$REPO_ROOT" diff --quiet HEAD 2>/dev/null; then commit+=-dirty; fi
  printf '%s+%s\n' "$(cat "$REPO_ROOT/VERSION")" "$commit" > "$1/build-version"
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# A live process. A killed server that nobody has reaped yet is a zombie: it still answers
# kill -0, but it is not running.
running() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }

# A server whose pid file names a live process.
alive() { [ -f "$1" ] && running "$(head -n1 "$1")"; }

# stop_pid PIDFILE [NAME]: SIGTERM, wait up to 20 s, then SIGKILL.
stop_pid() {
  local file=$1 name=${2:-$1} pid
  [ -f "$file" ] || return 0
  pid=$(head -n1 "$file")
  if running "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then log "$name did not stop in 20 s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
    log "stopped $name"
  fi
  rm -f "$file"
}

# Runs a command as the postgres OS user when we are root (Postgres refuses to run as root).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR PORT: a cluster in DIR/pg on 127.0.0.1:PORT, created on first use.
pg_start() {
  local dir=$1/pg port=$2
  # The postgres OS user must reach the data folder; a checkout under a private home
  # directory keeps its cluster in /var/tmp instead, linked from the state folder.
  if [ "$(id -u)" -eq 0 ] && [ ! -e "$dir" ] && ! runuser -u postgres -- test -x "$1"; then
    local elsewhere; elsewhere=/var/tmp/lomash-wood-pg-$(echo "$1" | md5sum | cut -c1-12)
    mkdir -p "$elsewhere"; ln -s "$elsewhere" "$dir"
    log "postgres cannot reach $1; its cluster lives in $elsewhere"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir/data" "$dir/run"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir/"
    echo postgres > "$dir/.pgpass-init"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir/.pgpass-init"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/.pgpass-init" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$dir/.pgpass-init"
  fi
  alive "$dir/data/postmaster.pid" && return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/run -c max_connections=200 ${PG_EXTRA_OPTIONS:-}" >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2; die "postgres did not start"; }
  log "postgres on 127.0.0.1:$port"
}

pg_stop() {
  local dir=$1/pg
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || stop_pid "$dir/data/postmaster.pid" postgres
  log "stopped postgres"
}

# psql as the superuser over the cluster's socket.
pg_psql() {
  local dir=$1/pg port=$2; shift 2
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U postgres "$@"
}

# The platform's database: one schema and one login role per context. Each role owns its
# schema and has no rights on the others'. Safe to run again.
pg_prepare_database() {
  local dir=$1 port=$2
  pg_psql "$dir" "$port" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE_NAME'" | grep -q 1 \
    || pg_psql "$dir" "$port" -d postgres -c "CREATE DATABASE $DATABASE_NAME"
  # pg_trgm (trigram indexes for the admin customer search) is installed by the superuser.
  local sql="REVOKE ALL ON DATABASE $DATABASE_NAME FROM PUBLIC; REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;"
  for context in "${CONTEXTS[@]}"; do
    sql+="
    DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$context') THEN
        CREATE ROLE $context LOGIN PASSWORD '$(role_password "$context")';
      END IF;
    END \$\$;
    GRANT CONNECT, TEMPORARY ON DATABASE $DATABASE_NAME TO $context;
    CREATE SCHEMA IF NOT EXISTS $context AUTHORIZATION $context;
    REVOKE ALL ON SCHEMA $context FROM PUBLIC;"
  done
  pg_psql "$dir" "$port" -d "$DATABASE_NAME" -c "$sql" >/dev/null
}

context_database_url() { # CONTEXT PG_PORT
  echo "postgres://$1:$(role_password "$1")@127.0.0.1:$2/$DATABASE_NAME"
}

# redis_start DIR PORT
redis_start() {
  local dir=$1/redis port=$2
  mkdir -p "$dir"
  alive "$dir/redis.pid" && return 0
  redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --pidfile "$dir/redis.pid" \
    --dir "$dir" --logfile "$dir/redis.log" --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do [ -s "$dir/redis.pid" ] && break; sleep 0.1; done
  log "redis on 127.0.0.1:$port"
}

# broker_start DIR BIN_DIR: the dev Kafka (kafka-dev-broker, librdkafka's in-memory mock
# cluster) on a loopback port of its choosing, which it writes to DIR/kafka/address.
broker_start() {
  local dir=$1/kafka
  mkdir -p "$dir"
  if ! alive "$dir/broker.pid"; then
    rm -f "$dir/address"
    "$2/kafka-dev-broker" --address-file "$dir/address" >>"$dir/broker.log" 2>&1 &
    echo $! > "$dir/broker.pid"
    for _ in $(seq 1 300); do [ -s "$dir/address" ] && break; sleep 0.1; done
    [ -s "$dir/address" ] || die "the dev Kafka broker did not start (see $dir/broker.log)"
    log "dev kafka broker on $(cat "$dir/address")"
  fi
}

# upstream_servers "PORT[:down] …": the servers of one context's upstream block. A context with
# several instances lists several ports; `:down` takes one out of rotation (a rolling restart).
upstream_servers() {
  local port servers=""
  for port in $1; do
    if [[ $port == *:down ]]; then servers+="server 127.0.0.1:${port%:down} down; "; else servers+="server 127.0.0.1:$port; "; fi
  done
  echo "$servers"
}

# gateway_render DIR LISTEN_PORT PROFILES_PORTS ENGAGEMENT_PORTS SUPPORT_PORTS LOYALTY_PORTS: the
# gateway's routing table (the same template compose/ uses), each *_PORTS an upstream_servers list.
gateway_render() {
  GATEWAY_LISTEN="127.0.0.1:$2" GATEWAY_ACCESS_LOG="$1/gateway/logs/access.log" GATEWAY_DOCS_ROOT="$1/gateway/docs" \
  PROFILES_SERVERS="$(upstream_servers "$3")" ENGAGEMENT_SERVERS="$(upstream_servers "$4")" \
  SUPPORT_SERVERS="$(upstream_servers "$5")" LOYALTY_SERVERS="$(upstream_servers "$6")" \
    envsubst '${GATEWAY_LISTEN} ${GATEWAY_ACCESS_LOG} ${GATEWAY_DOCS_ROOT} ${PROFILES_SERVERS} ${ENGAGEMENT_SERVERS} ${SUPPORT_SERVERS} ${LOYALTY_SERVERS}' \
    < "$REPO_ROOT/compose/gateway/gateway.conf.template" > "$1/gateway/gateway.conf"
}

nginx_bin() { command -v nginx || echo /usr/sbin/nginx; }

# pip_ensure PACKAGE VERSION: the pinned PyPI package for python3, installed quietly unless it
# is there already (system-wide, else for the user, else over Debian's guard).
pip_ensure() {
  local installed
  command -v python3 >/dev/null || die "python3 is needed for $1"
  installed=$(python3 -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true)
  [ "$installed" = "$2" ] && return 0
  log "installing $1 $2 (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$1==$2" \
    || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --user "$1==$2" \
    || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --break-system-packages "$1==$2" \
    || die "could not install $1 $2 with pip"
}

# The gateway's /docs in DIR/gateway/docs: Swagger UI's files (5.x, which renders OpenAPI 3.1)
# from the PyPI package swagger-ui-py, the page (compose/gateway/docs) and docs/openapi.yaml.
# Nothing is fetched from a CDN when the page loads. (The package swagger-ui-bundle carries
# Swagger UI 4.15, which refuses an OpenAPI 3.1 document.)
SWAGGER_UI_PY_VERSION=25.7.1
docs_prepare() {
  local dir=$1/gateway/docs vendor
  pip_ensure swagger-ui-py "$SWAGGER_UI_PY_VERSION"
  vendor=$(python3 -c 'import os, swagger_ui; print(os.path.join(os.path.dirname(swagger_ui.__file__), "static"))')
  mkdir -p "$dir"
  cp "$vendor/swagger-ui-bundle.js" "$vendor/swagger-ui.css" "$dir/"
  cp "$REPO_ROOT/compose/gateway/docs/index.html" "$REPO_ROOT/compose/gateway/docs/docs.js" "$REPO_ROOT/docs/openapi.yaml" "$dir/"
}

# rotate_log FILE: a log over 64 MiB becomes FILE.1 (replacing the one before) when its process
# starts again, so that a stack used for weeks and benchmarks keeps two of each, not gigabytes.
rotate_log() {
  if [ -f "$1" ] && [ "$(stat -c %s "$1")" -gt $((64 << 20)) ]; then mv -f "$1" "$1.1"; fi
}

# Starts nginx with the routing table. gateway_start DIR LISTEN_PORT PROFILES_PORTS … LOYALTY_PORTS
gateway_start() {
  local dir=$1/gateway
  mkdir -p "$dir/tmp" "$dir/logs"
  alive "$dir/nginx.pid" && return 0
  rotate_log "$dir/logs/access.log"
  docs_prepare "$1"
  gateway_render "$@"
  cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  # The routing table names its access log (JSON, in logs/access.log).
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  include $dir/gateway.conf;
}
CONF
  "$(nginx_bin)" -p "$dir" -c "$dir/nginx.conf" -t -q || die "gateway config is invalid"
  "$(nginx_bin)" -p "$dir" -c "$dir/nginx.conf"
  log "gateway on http://127.0.0.1:$2"
}

# gateway_reload DIR LISTEN_PORT PROFILES_PORTS … LOYALTY_PORTS: a new routing table, without
# dropping a request: nginx's old worker finishes what it is serving while a new one takes over.
gateway_reload() {
  local dir=$1/gateway
  gateway_render "$@"
  "$(nginx_bin)" -p "$dir" -c "$dir/nginx.conf" -t -q || die "gateway config is invalid"
  "$(nginx_bin)" -p "$dir" -c "$dir/nginx.conf" -s reload
  # The reload is a signal; give the master a moment to start the new worker.
  sleep 1
}

# service_start DIR BIN_DIR CONTEXT PORT PG_PORT REDIS_PORT [KAFKA_BROKERS] [INSTANCE]: the context's
# server, with the stack's defaults for any variable the caller's environment does not set.
# INSTANCE names its pid and log files (the context's name unless given: loyalty-2, …).
service_start() {
  local dir=$1/services bin=$2/$3 context=$3 port=$4 instance=${8:-$3}
  mkdir -p "$dir"
  alive "$dir/$instance.pid" && return 0
  [ -x "$bin" ] || die "$bin is not built"
  rotate_log "$dir/$instance.log"
  (
    export SERVICE_NAME=$context PORT=$port
    # Each context has its own role, so the override is per context: PROFILES_DATABASE_URL, …
    local url_var; url_var="$(echo "$context" | tr a-z A-Z)_DATABASE_URL"
    export DATABASE_URL=${!url_var:-$(context_database_url "$context" "$5")}
    export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$6}
    export JWT_SECRET=${JWT_SECRET:-$DEV_JWT_SECRET}
    export LOG_FORMAT=${LOG_FORMAT:-json} LOG_LEVEL=${LOG_LEVEL:-info}
    # glibc gives every thread that allocates its own 64 MiB arena; a couple is plenty for
    # a server whose work runs on a few NIO and Swift threads, and keeps RSS down.
    export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
    [ -n "${7:-}" ] && export KAFKA_BROKERS=$7
    exec "$bin" serve >>"$dir/$instance.log" 2>&1
  ) &
  echo $! > "$dir/$instance.pid"
}

# wait_ready URL SECONDS: until the URL answers 200.
wait_ready() {
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# platform_wait_ready DIR GATEWAY_PORT: every context ready through the gateway, or die with
# the context's last log lines.
platform_wait_ready() {
  local context
  for context in "${CONTEXTS[@]}"; do
    wait_ready "http://127.0.0.1:$2/health/$context" 60 \
      || { tail -n 20 "$1/services/$context.log" >&2; die "$context did not become ready"; }
  done
}

# platform_stop DIR: stops, by pid, everything the stack or the test run started in DIR.
platform_stop() {
  local context
  local pidfile
  stop_pid "$1/gateway/nginx.pid" gateway
  for pidfile in "$1"/services/*.pid; do stop_pid "$pidfile" "$(basename "$pidfile" .pid)"; done
  stop_pid "$1/kafka/broker.pid" "kafka broker"
  stop_pid "$1/redis/redis.pid" redis
  pg_stop "$1"
}

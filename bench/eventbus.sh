#!/usr/bin/env bash
# Event-bus benchmark: outbox → Kafka → inbox with a database effect per event.
# Starts its own PostgreSQL (default durability settings) in a temporary folder, builds
# lw-dev in release mode, runs `lw-dev bench-events` (which hosts the mock Kafka cluster),
# and stops everything. Arguments go to bench-events (see `lw-dev bench-events --help`).
# Figures worth keeping go to bench/results/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
ensure_packages

WORK=$(mktemp -d /tmp/lomash-wood-bench.XXXXXX)
chmod 755 "$WORK"
trap 'pg_stop "$WORK"; rm -rf "$WORK"' EXIT

release_build --product lw-dev
BIN_DIR=$(release_bin_dir)
PG_PORT=$(free_port)
pg_start "$WORK" "$PG_PORT"
pg_prepare_database "$WORK" "$PG_PORT"
"$BIN_DIR/lw-dev" bench-events --database-url "postgres://postgres:postgres@127.0.0.1:$PG_PORT/$DATABASE_NAME" "$@"

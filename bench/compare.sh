#!/usr/bin/env bash
# bench/compare.sh REF [ROUNDS]: bench/run.sh on the release build of REF and on the working
# tree's, alternating (REF, working tree, REF, …) ROUNDS times each (default 2), so that both
# see the same machine; each run's table goes to bench/results/, labelled "before REF" or
# "after". REF is checked out in a worktree of its own (.build-compare/REF, or COMPARE_DIR) and
# built there with its own release flags. Compare each figure's change with the spread between
# the runs of the same build: a change inside that spread is noise.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
ref=${1:?usage: bench/compare.sh REF [ROUNDS]} rounds=${2:-2}
dir=${COMPARE_DIR:-$REPO_ROOT/.build-compare/$ref}
if [ ! -d "$dir" ]; then git worktree add --detach "$dir" "$ref"; fi
log "building $ref in $dir"
(cd "$dir" && bash -c 'source scripts/lib/common.sh && release_build' >/dev/null)
before_bin=$(cd "$dir" && bash -c 'source scripts/lib/common.sh && release_bin_dir')
log "building the working tree"
release_build >/dev/null
for round in $(seq 1 "$rounds"); do
  STACK_BIN_DIR=$before_bin BENCH_LABEL="before $ref, run $round" bench/run.sh
  BENCH_LABEL="after, run $round" bench/run.sh
done

#!/usr/bin/env bash
# Contract fuzzing (issue 14): checks that docs/openapi.yaml describes exactly what the servers
# do, by running schemathesis (`--checks all`) against a running gateway — every operation under
# /v1/customers once as a customer, once as an agent and once as an admin, then the gateway's
# health and metrics routes. Fails when any run reports a failure: a 5xx, a response or status
# the document does not describe, a schema-valid request refused (other than the business rules
# listed in contract-fuzz/hooks.py and in the document), or a schema-violating request accepted.
# Each role's run ends with schemathesis's stateful phase, which follows the document's links
# (create an address, review, ticket, wishlist item or export, then use its id), so operations
# on one resource are also tried with an id that exists, not only with ids that are 404s.
#
#   scripts/lib/contract-fuzz.sh http://127.0.0.1:PORT          (the gateway's root URL)
#   source scripts/lib/contract-fuzz.sh; contract_fuzz http://127.0.0.1:PORT
#
# Tokens come from scripts/token (set LW_BIN_DIR to a build with lw-dev; JWT_SECRET must be the
# servers'). Each run uses fresh user ids, so state left by an earlier run (a profile that
# already exists, ten addresses) does not change what this one sees. Settings and the narrow
# tuning of two checks are in scripts/lib/contract-fuzz/ (schemathesis.toml, hooks.py).
#
# CONTRACT_FUZZ_MAX_EXAMPLES (default 30) bounds the examples per operation in the fuzzing
# phase; the three role runs take about 45 s each on a 2-core machine (the coverage phase,
# ~15 s of each, does not depend on it). Extra arguments go to every `schemathesis run`
# (e.g. --include-operation-id createAddress, --continue-on-failure).

[ -n "${REPO_ROOT:-}" ] || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SCHEMATHESIS_VERSION=4.32.5
CONTRACT_FUZZ_DIR=$REPO_ROOT/scripts/lib/contract-fuzz

# Installs the pinned schemathesis for python3, quietly, unless it is already there.
ensure_schemathesis() { pip_ensure schemathesis "$SCHEMATHESIS_VERSION"; }

# schemathesis ARGS…: the CLI of the python3 it was installed for (its script may not be on PATH).
schemathesis_cli() {
  python3 -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; sys.exit(schemathesis())' \
    --config-file "$CONTRACT_FUZZ_DIR/schemathesis.toml" "$@"
}

# contract_fuzz GATEWAY_URL [SCHEMATHESIS_ARGS…]
contract_fuzz() {
  local gateway=${1:?usage: contract_fuzz GATEWAY_URL}
  shift
  gateway=${gateway%/}
  ensure_schemathesis
  local examples=${CONTRACT_FUZZ_MAX_EXAMPLES:-30} run_id failed=() timings=() role token started status
  run_id=$(date +%s)-$$
  # Hypothesis keeps small caches (unicode tables, constants) in a folder; not in the checkout.
  local storage; storage=$(mktemp -d /tmp/contract-fuzz.XXXXXX)
  status=0
  (
    cd "$REPO_ROOT" || exit 1
    export HYPOTHESIS_STORAGE_DIRECTORY=$storage
    for role in customer agent admin; do
      token=$("$REPO_ROOT/scripts/token" --sub "contract-fuzz-$role-$run_id" --role "$role" --expires-in 3600) \
        || die "could not mint a $role token (set LW_BIN_DIR to a build with lw-dev)"
      log "contract fuzz as $role: docs/openapi.yaml against $gateway/v1/customers, $examples examples per operation"
      started=$SECONDS
      status=0
      schemathesis_cli run docs/openapi.yaml --url "$gateway/v1/customers" --exclude-tag Health \
        --checks all --max-examples "$examples" -H "Authorization: Bearer $token" "$@" || status=$?
      timings+=("$role $((SECONDS - started))s")
      [ "$status" -eq 0 ] || failed+=("$role")
    done
    # The gateway's own routes live outside /v1/customers and are public.
    log "contract fuzz of the gateway's health and metrics routes"
    started=$SECONDS
    status=0
    # No stateful phase: the document's links all lead to operations outside this tag.
    schemathesis_cli run docs/openapi.yaml --url "$gateway" --include-tag Health --phases examples,coverage,fuzzing \
      --checks all --max-examples "$examples" "$@" || status=$?
    timings+=("health $((SECONDS - started))s")
    [ "$status" -eq 0 ] || failed+=("health")
    log "contract fuzz took: ${timings[*]}"
    [ ${#failed[@]} -eq 0 ] || die "contract fuzz failed for: ${failed[*]}"
    log "contract fuzz passed"
  ) || status=$?
  rm -rf "$storage"
  return "$status"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  contract_fuzz "$@"
fi

#!/usr/bin/env bash
# Regenerates scripts/lib/hot-functions.txt: the functions the servers run, which release builds
# lay out together at the end of the binary's code (docs/performance.md, "Memory: the code that
# runs, laid out together"). Runs the whole platform benchmark (bench/run.sh, nothing appended)
# under `perf record -a -g`, then lists every function of our release binaries seen on a sampled
# stack, the most often seen first, as the linker's section names. Run it after changes that move
# the hot path: a stale list still works, it only lays out less of what runs together.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
command -v perf >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null; }
DATA=$(mktemp /tmp/lomash-wood-perf.XXXXXX)
trap 'rm -f "$DATA"' EXIT

release_build  # before recording, so that the compiler is not what gets sampled
perf record -a -g -F 1999 -o "$DATA" -- env APPEND=0 DURATION="${DURATION:-10s}" bash bench/run.sh >&2
perf script -i "$DATA" -F ip,sym,dso --no-demangle 2>/dev/null | python3 -c '
import collections, re, sys
# A sample is a header line and its stack, one frame a line ("\tADDRESS SYMBOL+OFFSET (DSO)").
# Each function counts once per sample it appears in.
seen, counts = set(), collections.Counter()
frame = re.compile(r"\t\s*[0-9a-f]+ (\S+?)(?:\+0x[0-9a-f]+)? \((\S+)\)$")
for line in sys.stdin:
    if not line.startswith("\t"):
        seen = set()
        continue
    match = frame.match(line.rstrip("\n"))
    if not match or "/release/" not in match.group(2) or match.group(1) in seen or match.group(1) == "[unknown]":
        continue
    seen.add(match.group(1))
    counts[match.group(1)] += 1
for symbol, _ in counts.most_common():
    print(".text." + symbol)
' > scripts/lib/hot-functions.txt
# The build does not track the list as an input: remove the linked programs so the next release
# build links them again with it.
bin=$(release_bin_dir)
for program in "${CONTEXTS[@]}" lw-dev kafka-dev-broker; do rm -f "$bin/$program"; done
log "scripts/lib/hot-functions.txt: $(wc -l < scripts/lib/hot-functions.txt) functions; the next release build links with it"

# Line coverage from an instrumented build (scripts/test --coverage), with the toolchain's
# llvm-profdata and llvm-cov: the test process's counts and those of the servers it started,
# merged; an lcov file and an HTML report; a table per module of Services/ and Shared/, checked
# against the floors in Tests/coverage-floors.txt.

# coverage_report BIN_DIR OUT_DIR RAW_DIR...
coverage_report() {
  local bin_dir=$1 out=$2 toolchain objects=() raw=()
  shift 2
  toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
  local file
  for dir in "$@"; do
    for file in "$dir"/*.profraw; do [ -s "$file" ] && raw+=("$file"); done
  done
  [ ${#raw[@]} -gt 0 ] || { log "no coverage counts were written"; return 1; }
  rm -rf "$out" && mkdir -p "$out"
  "$toolchain/llvm-profdata" merge -sparse "${raw[@]}" -o "$out/merged.profdata"
  # The test bundle holds every module; the servers' own binaries hold what stack tests ran.
  objects=("$bin_dir"/*PackageTests.xctest)
  for context in "${CONTEXTS[@]}"; do objects+=(-object "$bin_dir/$context"); done
  # Product code only: not the tests, their support, the dev tools or the dependencies.
  local ignore='(/\.build[^/]*/|/Tests/|/Tools/)'
  "$toolchain/llvm-cov" export -format=lcov -instr-profile="$out/merged.profdata" -ignore-filename-regex="$ignore" \
    "${objects[@]}" >"$out/lcov.info"
  "$toolchain/llvm-cov" show -format=html -output-dir="$out/html" -instr-profile="$out/merged.profdata" \
    -ignore-filename-regex="$ignore" "${objects[@]}" >/dev/null
  "$toolchain/llvm-cov" export -summary-only -instr-profile="$out/merged.profdata" -ignore-filename-regex="$ignore" \
    "${objects[@]}" >"$out/summary.json"
  log "line coverage per module (${#raw[@]} count files; report: $out/html/index.html, lcov: $out/lcov.info)"
  python3 - "$out/summary.json" "$REPO_ROOT" "$REPO_ROOT/Tests/coverage-floors.txt" <<'PYTHON'
import json, sys
summary, root, floors_file = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3]
modules = {}
for entry in json.load(open(summary))["data"][0]["files"]:
    path = entry["filename"]
    if not path.startswith(root):
        continue
    parts = path[len(root):].split("/")
    if parts[0] not in ("Services", "Shared") or len(parts) < 3:
        continue
    lines = entry["summary"]["lines"]
    count, covered = modules.get("/".join(parts[:2]), (0, 0))
    modules["/".join(parts[:2])] = (count + lines["count"], covered + lines["covered"])
floors = {}
for line in open(floors_file):
    line = line.split("#")[0].split()
    if len(line) == 2:
        floors[line[0]] = float(line[1])
failed = []
print(f"  {'module':<22} {'lines':>7} {'covered':>8} {'line %':>7} {'floor':>6}")
for name in sorted(modules):
    count, covered = modules[name]
    percent = 100.0 * covered / count if count else 100.0
    floor = floors.get(name)
    mark = ""
    if floor is not None and percent < floor:
        failed.append(name)
        mark = "  below its floor"
    print(f"  {name:<22} {count:>7} {covered:>8} {percent:>6.1f}% {'' if floor is None else f'{floor:.0f}%':>6}{mark}")
total, hit = sum(c for c, _ in modules.values()), sum(h for _, h in modules.values())
print(f"  {'all':<22} {total:>7} {hit:>8} {100.0 * hit / max(total, 1):>6.1f}%")
missing = sorted(set(floors) - set(modules))
if missing:
    print("  floors for modules that were not measured: " + ", ".join(missing))
    failed += missing
sys.exit(1 if failed else 0)
PYTHON
}

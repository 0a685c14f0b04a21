#!/usr/bin/env bash
# Runs each benchmark as a lode script beside its Node.js twin, several
# times in one go, alternating the two, and prints the medians and the
# ratio lode/node (below 1 means lode is faster or smaller).
#
#   benchmarks/run.sh [path/to/lode] [name ...]
#
# Measured per run: wall time (ms) and peak RSS (KiB) of the whole process,
# plus every line "label: <number> <unit>" the script prints itself.
# RUNS sets the number of runs (default 5).
set -u
here=$(cd "$(dirname "$0")" && pwd)
lode=${1:-$here/../build/lode}
shift || true
lode=$(cd "$(dirname "$lode")" && pwd)/$(basename "$lode")
node=${NODE:-/usr/bin/node}
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$node" ]; then echo "node not found at $node (set NODE=...)" >&2; exit 1; fi
if [ ! -x /usr/bin/time ]; then echo "GNU time is missing (apt-get install time)" >&2; exit 1; fi

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(eval)
  for f in "$here"/*.lua; do
    n=$(basename "$f" .lua)
    [ -f "$here/$n.js" ] && names+=("$n")
  done
fi

# measure OUT CMD...: appends "wall_ms rss_kib" and the script's own
# "label: value" lines to OUT.
measure() {
  local out=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '__rss %M' -o "$tmp/time" "$@" > "$tmp/stdout" 2> "$tmp/stderr"
  local rc=$?
  t1=$(date +%s%N)
  if [ $rc -ne 0 ]; then
    echo "  failed ($rc): $*" >&2
    tail -3 "$tmp/stderr" >&2
  fi
  echo "wall_ms: $(( (t1 - t0) / 1000000 ))" >> "$out"
  echo "peak_rss_kib: $(awk '/__rss/ {print $2}' "$tmp/time")" >> "$out"
  grep -E '^[A-Za-z0-9_ ./()-]+: *[0-9.e+-]+' "$tmp/stdout" >> "$out"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf '%-24s %-22s %12s %12s %8s\n' benchmark metric lode node ratio
for name in "${names[@]}"; do
  : > "$tmp/lode.out"; : > "$tmp/node.out"
  for ((i = 0; i < runs; i++)); do
    if [ "$name" = eval ]; then
      measure "$tmp/lode.out" "$lode" -e ''
      measure "$tmp/node.out" "$node" -e 0
    else
      (cd "$here" && measure "$tmp/lode.out" "$lode" "$name.lua")
      (cd "$here" && measure "$tmp/node.out" "$node" "$name.js")
    fi
  done
  labels=$(sed 's/:.*//' "$tmp/lode.out" | awk '!seen[$0]++')
  while IFS= read -r label; do
    l=$(grep -F "$label:" "$tmp/lode.out" | sed 's/^[^:]*: *//' | awk '{print $1}' | median)
    n=$(grep -F "$label:" "$tmp/node.out" | sed 's/^[^:]*: *//' | awk '{print $1}' | median)
    ratio=$(awk -v a="$l" -v b="$n" 'BEGIN { if (b+0 > 0 && a != "-") printf "%.3f", a/b; else print "-" }')
    printf '%-24s %-22s %12s %12s %8s\n' "$name" "$label" "$l" "$n" "$ratio"
  done <<< "$labels"
done

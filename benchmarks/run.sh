#!/usr/bin/env bash
# Runs each benchmark as a lode script beside its Node.js twin (and the same
# twin under Bun, when Bun is there), several times in one go, alternating
# them, and prints the medians and the ratios lode/node and lode/bun (below
# 1 means lode is faster or smaller).
#
#   benchmarks/run.sh [path/to/lode] [name ...]
#
# Measured per run: wall time (ms) and peak RSS (KiB) of the whole process,
# plus every line "label: <number> <unit>" the script prints itself.
# RUNS sets the number of runs (default 5). NODE names node (default
# /usr/bin/node). BUN names bun; by default the copy `make bench-deps`
# puts under $BENCH_DEPS (default ~/.cache/lode-bench), else a bun on PATH,
# else Bun is left out. Bun is only ever a yardstick here: nothing builds
# or tests with it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
lode=${1:-$here/../build/lode}
shift || true
lode=$(cd "$(dirname "$lode")" && pwd)/$(basename "$lode")
node=${NODE:-/usr/bin/node}
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$here/find_bun.sh"

if [ ! -x "$node" ]; then echo "node not found at $node (set NODE=...)" >&2; exit 1; fi
if [ ! -x /usr/bin/time ]; then echo "GNU time is missing (apt-get install time)" >&2; exit 1; fi

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(eval)
  for f in "$here"/*.lua; do
    n=$(basename "$f" .lua)
    # Servers and clients that net.sh, coro_net.sh and http.sh drive under
    # their load generators: on their own they wait for a load that never
    # comes, until their lifetime (a minute) ends.
    case $n in net_echo_server*|http_*) continue ;; esac
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

# ratio A B: A/B to three places, or '-' when either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b != "-" && b+0 > 0 && a != "-") printf "%.3f", a/b; else print "-" }'; }

printf '%-20s %-28s %10s %10s %10s %10s %10s\n' benchmark metric lode node bun lode/node lode/bun
for name in "${names[@]}"; do
  : > "$tmp/lode.out"; : > "$tmp/node.out"; : > "$tmp/bun.out"
  for ((i = 0; i < runs; i++)); do
    if [ "$name" = eval ]; then
      measure "$tmp/lode.out" "$lode" -e ''
      measure "$tmp/node.out" "$node" -e 0
      [ -n "$bun" ] && measure "$tmp/bun.out" "$bun" -e 0
    else
      (cd "$here" && measure "$tmp/lode.out" "$lode" "$name.lua")
      (cd "$here" && measure "$tmp/node.out" "$node" "$name.js")
      [ -n "$bun" ] && (cd "$here" && measure "$tmp/bun.out" "$bun" "$name.js")
    fi
  done
  labels=$(sed 's/:.*//' "$tmp/lode.out" | awk '!seen[$0]++')
  while IFS= read -r label; do
    l=$(grep -F "$label:" "$tmp/lode.out" | sed 's/^[^:]*: *//' | awk '{print $1}' | median)
    n=$(grep -F "$label:" "$tmp/node.out" | sed 's/^[^:]*: *//' | awk '{print $1}' | median)
    b=$(grep -F "$label:" "$tmp/bun.out" | sed 's/^[^:]*: *//' | awk '{print $1}' | median)
    printf '%-20s %-28s %10s %10s %10s %10s %10s\n' "$name" "$label" "$l" "$n" "$b" \
      "$(ratio "$l" "$n")" "$(ratio "$l" "$b")"
  done <<< "$labels"
done

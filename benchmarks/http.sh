#!/usr/bin/env bash
# HTTP benchmarks (the targets of issue 13): lode's HTTP servers beside
# Node's twins (and Bun running the same twins, when Bun is there), driven
# by wrk, plus memory under load, memory per idle keep-alive connection
# (benchmarks/c/tcp_load.c's httpidle mode, built by `cmake --build build
# --target tcp_load`) and an HTTP client. Only 127.0.0.1 (and 127.0.0.2-9
# as sources); every load is bounded and every server stops by itself.
#
#   benchmarks/http.sh [path/to/lode] [seconds per wrk run, default 10]
#
# Throughput and latency: server and wrk share one core (taskset -c 0);
# `wrk -t1 -c100 -d<secs>s --latency` against http_hello (hello), against
# http_body4k (body4k) and against http_hello with wrk_headers.lua adding
# 10 request headers of 100 bytes (hello_10hdr); requests/s and p99 in ms.
# Memory under load: the hello server's VmRSS at the 10th second and just
# before the end of a MEM_SECS-long (default 60) keep-alive wrk load of the
# same shape, and the growth between them in %.
# Idle connections: IDLE (default 10,000) keep-alive connections each send
# one GET, read the response and stay open; (RSS then - RSS before) / IDLE,
# and the RSS after closing them all.
# Client: http_client (10,000 sequential GETs over one keep-alive Agent
# with one socket) under each runtime, against Node's hello server as the
# common target, both on core 0 like the rest (on two cores each
# request-response turn waits for a cross-core wake-up, about 100 us,
# which hides most of the client's own cost).
#
# lode runs only when its `require('http')` loads; otherwise its column is
# '-'. BUN, BENCH_DEPS, NODE, LOAD, PORT, MEM_SECS and IDLE override.
set -u
here=$(cd "$(dirname "$0")" && pwd)
lode=${1:-$here/../build/lode}
secs=${2:-10}
mem_secs=${MEM_SECS:-60}
idle_n=${IDLE:-10000}
load=${LOAD:-$(dirname "$lode")/tcp_load}
node=${NODE:-/usr/bin/node}
port=${PORT:-19600}
core="taskset -c 0"
[ -x "$load" ] || { echo "build the generator: cmake --build build --target tcp_load" >&2; exit 1; }
command -v wrk > /dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$node" ] || { echo "node not found at $node (set NODE=...)" >&2; exit 1; }

. "$here/find_bun.sh"

have_lode=1
if ! "$lode" -e "require('http')" > /dev/null 2>&1; then
  echo "# $lode has no require('http') yet: lode columns are '-'" >&2
  have_lode=
fi

# Room for the idle connections: the soft limit up to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((idle_n + 100)) ]; then
  idle_n=$(( $(ulimit -n) - 100 ))
  echo "# ulimit -n is $(ulimit -n): $idle_n idle connections" >&2
fi

# serve CORE LIFETIME CMD...: starts a server on the next port, pinned to
# CORE, stopping by itself after LIFETIME seconds; sets pid and port.
pid=
serve() {
  local cpu=$1 life=$2; shift 2
  port=$((port + 1))
  taskset -c "$cpu" "$@" "$port" "$life" > /dev/null &
  pid=$!
  for _ in $(seq 100); do
    (: > "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return 0
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  echo "server did not start: $*" >&2
  stop
  return 1
}
stop() { [ -n "$pid" ] && { kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null; }; pid=; }

# to_ms VALUE: wrk's "1.23ms", "850.00us", "1.02s" in ms.
to_ms() {
  awk -v v="$1" 'BEGIN {
    u = v; sub(/^[0-9.]+/, "", u); n = substr(v, 1, length(v) - length(u)) + 0
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.3f", n }'
}

# wrk_run NAME LABEL SERVER_SCRIPT [wrk args]: requests/s and p99.
wrk_run() {
  local name=$1 label=$2 script=$3; shift 3
  serve 0 $((secs + 30)) "${runtime[@]}" "$script" || return
  local w; w=$($core wrk -t1 -c100 -d"${secs}s" --latency "$@" "http://127.0.0.1:$port/" 2>&1)
  stop
  grep -E 'Non-2xx|Socket errors' <<< "$w" | sed "s/^/# $name $label: /" >&2
  local rps p99
  rps=$(awk '$1 == "Requests/sec:" {print $2}' <<< "$w")
  p99=$(awk '$1 == "99%" {print $2; exit}' <<< "$w")
  [ -n "$rps" ] && echo "$name ${label}_reqs_per_s $rps higher"
  [ -n "$p99" ] && echo "$name ${label}_p99_ms $(to_ms "$p99") lower"
}

# mem_run NAME: the hello server's RSS during a MEM_SECS keep-alive load.
mem_run() {
  local name=$1
  local t_a=$(( mem_secs >= 20 ? 10 : mem_secs / 2 )) t_b=$(( mem_secs - 1 ))
  serve 0 $((mem_secs + 30)) "${runtime[@]}" "$here/http_hello.$ext" || return
  $core wrk -t1 -c100 -d"${mem_secs}s" "http://127.0.0.1:$port/" > /dev/null 2>&1 &
  local wpid=$!
  sleep "$t_a"
  local a; a=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$pid/status")
  sleep $((t_b - t_a))
  local b; b=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$pid/status")
  wait "$wpid"
  stop
  echo "$name load_rss_kib_at_${t_a}s $a lower"
  echo "$name load_rss_kib_at_${t_b}s $b lower"
  echo "$name load_rss_growth_pct $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) * 100 / a }') lower"
}

# idle_run NAME: bytes per idle keep-alive connection.
idle_run() {
  local name=$1
  serve 0 180 "${runtime[@]}" "$here/http_hello.$ext" || return
  "$load" httpidle "$port" "$idle_n" "$pid" 2 > "$tmp/idle" || echo "# $name httpidle: not every connection answered and stayed open" >&2
  stop
  awk -v n="$name" '
    $1 == "base_rss_kib:" { print n, "idle_base_rss_kib", $2, "lower" }
    $1 == "still_open:" { print n, "idle_conns_open", $2, "higher" }
    $1 == "rss_kib_open:" { print n, "idle_rss_kib_open", $2, "lower" }
    $1 == "bytes_per_conn:" { print n, "idle_bytes_per_conn", $2, "lower" }
    $1 == "rss_kib_closed:" { print n, "idle_rss_kib_after_close", $2, "lower" }' "$tmp/idle"
}

# client_run NAME: http_client against the common Node hello server.
client_run() {
  local name=$1
  local r; r=$($core "${runtime[@]}" "$here/http_client.$ext" "$target_port" 60 10000 | awk '$1 == "reqs/s:" {print $2}')
  [ -n "$r" ] && echo "$name client_seq_reqs_per_s $r higher"
}

tmp=$(mktemp -d); trap 'stop; rm -rf "$tmp"' EXIT
out=$tmp/out
# each_runtime FN ARGS...: FN for lode, node and bun in turn.
each_runtime() {
  local fn=$1; shift
  if [ -n "$have_lode" ]; then runtime=("$lode"); ext=lua; $fn lode "$@" >> "$out"; fi
  runtime=("$node"); ext=js; $fn node "$@" >> "$out"
  if [ -n "$bun" ]; then runtime=("$bun"); ext=js; $fn bun "$@" >> "$out"; fi
}
: > "$out"
hello() { wrk_run "$1" hello "$here/http_hello.$ext"; }
body4k() { wrk_run "$1" body4k "$here/http_body4k.$ext"; }
hdr10() { wrk_run "$1" hello_10hdr "$here/http_hello.$ext" -s "$here/wrk_headers.lua"; }
for fn in hello body4k hdr10 mem_run idle_run; do each_runtime $fn; done
serve 0 120 "$node" "$here/http_hello.js"
target_port=$port
each_runtime client_run
stop

printf '%-28s %6s %12s %12s %12s %9s %9s\n' metric better lode node bun lode/node lode/bun
for m in $(awk '{print $2}' "$out" | awk '!s[$0]++'); do
  l=$(awk -v m="$m" '$1 == "lode" && $2 == m {print $3}' "$out")
  n=$(awk -v m="$m" '$1 == "node" && $2 == m {print $3}' "$out")
  b=$(awk -v m="$m" '$1 == "bun" && $2 == m {print $3}' "$out")
  d=$(awk -v m="$m" '$2 == m {print $4; exit}' "$out")
  rn=-; rb=-
  if [ "${m%_pct}" = "$m" ]; then # no ratio of two growths
    rn=$(awk -v a="$l" -v b="$n" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.3f", a / b; else print "-" }')
    rb=$(awk -v a="$l" -v b="$b" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.3f", a / b; else print "-" }')
  fi
  printf '%-28s %6s %12s %12s %12s %9s %9s\n' "$m" "$d" "${l:--}" "${n:--}" "${b:--}" "$rn" "$rb"
done

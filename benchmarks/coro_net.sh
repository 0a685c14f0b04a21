#!/usr/bin/env bash
# The coroutine style against the callback style on the TCP echo of
# benchmarks/net.sh, with the same C load generator (build it with
# `cmake --build build --target tcp_load`) and the same one shared core:
# lode's callback server (net_echo_server.lua), lode's coroutine server
# (net_echo_server_coro.lua), and Node's twins of both. Prints msgs/s for
# 100 connections of 64-byte messages and the RSS each idle connection
# costs, and the ratio of the coroutine style to the callback style.
#
#   benchmarks/coro_net.sh [path/to/lode] [seconds per run, default 5]
set -u
here=$(cd "$(dirname "$0")" && pwd)
lode=${1:-$here/../build/lode}
secs=${2:-5}
load=${LOAD:-$(dirname "$lode")/tcp_load}
node=${NODE:-/usr/bin/node}
port=${PORT:-19700}
core="taskset -c 0"
[ -x "$load" ] || { echo "build the generator: cmake --build build --target tcp_load" >&2; exit 1; }

start() {
  $core "$@" "$port" $((secs * 2 + 30)) > /dev/null &
  pid=$!
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
}

measure() {
  local name=$1; shift
  port=$((port + 1)); start "$@"
  echo "$name $($core "$load" echo "$port" 100 64 "$secs" | sed -n 's/^msgs\/s: //p')" >> "$out.rate"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  port=$((port + 1)); start "$@"
  local n=${IDLE:-$(( $(ulimit -n) - 100 ))}
  echo "$name $("$load" idle "$port" "$n" "$pid" | sed -n 's/^kib_per_conn_0: //p' | awk '{printf "%.0f", $1 * 1024}')" >> "$out.idle"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

out=$(mktemp); trap 'rm -f "$out" "$out.rate" "$out.idle"' EXIT
measure lode_callback "$lode" "$here/net_echo_server.lua"
measure lode_coro "$lode" "$here/net_echo_server_coro.lua"
measure node_callback "$node" "$here/net_echo_server.js"
measure node_async "$node" "$here/net_echo_server_coro.js"
printf '%-16s %14s %16s\n' server msgs/s idle_B/conn
join "$out.rate" "$out.idle" | while read -r name rate idle; do printf '%-16s %14s %16s\n' "$name" "$rate" "$idle"; done
awk 'NR==FNR {r[$1]=$2; next} {i[$1]=$2} END {
  if (r["lode_callback"] > 0) printf "coro/callback msgs/s: %.3f\n", r["lode_coro"] / r["lode_callback"];
  if (r["node_callback"] > 0) printf "lode coro/node callback msgs/s: %.3f\n", r["lode_coro"] / r["node_callback"];
  printf "coro extra per idle connection: %s B\n", i["lode_coro"] - i["lode_callback"] }' "$out.rate" "$out.idle"

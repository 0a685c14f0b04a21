#!/usr/bin/env bash
# TCP echo and idle-connection benchmarks: lode's echo server beside
# Node's twin (and Bun's, when installed), driven by the C load generator
# (benchmarks/c/tcp_load.c, built by `cmake --build build --target
# tcp_load`). Server and generator share one core (taskset -c 0), as the
# targets of issue 9 are measured. Only 127.x addresses; every process
# stops by itself.
#
#   benchmarks/net.sh [path/to/lode] [seconds per run, default 5]
set -u
here=$(cd "$(dirname "$0")" && pwd)
lode=${1:-$here/../build/lode}
secs=${2:-5}
load=${LOAD:-$(dirname "$lode")/tcp_load}
node=${NODE:-/usr/bin/node}
. "$here/find_bun.sh"
port=${PORT:-19500}
core="taskset -c 0"
[ -x "$load" ] || { echo "build the generator: cmake --build build --target tcp_load" >&2; exit 1; }

# run NAME CMD...: starts the server, runs the three echo loads, prints
# "NAME label value" lines.
serve() {
  local name=$1; shift
  $core "$@" "$port" $((secs * 4 + 30)) > /dev/null &
  local pid=$!
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  echo "$pid"
}

echo_run() {
  local name=$1; shift
  port=$((port + 1))
  local pid; pid=$(serve "$name" "$@")
  $core "$load" echo "$port" 100 64 "$secs" | sed -n "s/^msgs\/s: /$name echo_100x64B_msgs_per_s /p"
  $core "$load" echo "$port" 1 64 "$secs" | sed -n "s/^msgs\/s: /$name echo_1x64B_msgs_per_s /p"
  $core "$load" echo "$port" 10 16384 "$secs" | sed -n "s/^MB\/s: /$name echo_10x16KiB_MB_per_s /p"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

idle_run() {
  local name=$1; shift
  local n=${IDLE:-$(( $(ulimit -n) - 100 ))}
  port=$((port + 1))
  local pid; pid=$(serve "$name" "$@")
  "$load" idle "$port" "$n" "$pid" | sed "s/^/$name idle_/; s/: / /"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

out=$(mktemp); trap 'rm -f "$out"' EXIT
for run in echo_run idle_run; do
  $run lode "$lode" "$here/net_echo_server.lua" >> "$out"
  $run node "$node" "$here/net_echo_server.js" >> "$out"
  [ -n "$bun" ] && $run bun "$bun" "$here/net_echo_server.js" >> "$out"
done
printf '%-34s %12s %12s %12s %8s %8s\n' metric lode node bun lode/node lode/bun
for m in $(awk '{print $2}' "$out" | awk '!s[$0]++'); do
  l=$(awk -v m="$m" '$1=="lode" && $2==m {print $3}' "$out")
  n=$(awk -v m="$m" '$1=="node" && $2==m {print $3}' "$out")
  b=$(awk -v m="$m" '$1=="bun" && $2==m {print $3}' "$out")
  rn=$(awk -v a="$l" -v b="$n" 'BEGIN { if (b+0 > 0) printf "%.3f", a/b; else print "-" }')
  rb=$(awk -v a="$l" -v b="$b" 'BEGIN { if (b+0 > 0) printf "%.3f", a/b; else print "-" }')
  printf '%-34s %12s %12s %12s %8s %8s\n' "$m" "$l" "$n" "${b:--}" "$rn" "$rb"
done

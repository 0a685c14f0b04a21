# Sourced by run.sh, net.sh and http.sh: sets $bun to a Bun that runs, or
# to '' (the Bun columns then show '-'). In order: BUN=path, the copy
# `make bench-deps` puts under $BENCH_DEPS (default ~/.cache/lode-bench),
# a bun on PATH. npm links the binary of the bun package's platform
# dependency into .bin when its install script ran; without it, the binary
# is still there.
bench_deps=${BENCH_DEPS:-$HOME/.cache/lode-bench}
bun=${BUN:-}
if [ -z "$bun" ]; then
  for b in "$bench_deps"/node_modules/.bin/bun "$bench_deps"/node_modules/@oven/bun-*/bin/bun "$(command -v bun)"; do
    if [ -n "$b" ] && "$b" --version > /dev/null 2>&1; then bun=$b; break; fi
  done
fi
if [ -n "$bun" ] && ! "$bun" --version > /dev/null 2>&1; then
  echo "bun at $bun does not run: leaving Bun out" >&2
  bun=
fi
if [ -z "$bun" ]; then echo "# no bun (make bench-deps installs one): bun columns are '-'" >&2; fi

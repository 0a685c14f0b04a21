# A thin wrapper over CMake. Every target first installs the Debian
# packages the build needs, when they are missing (through sudo when not
# root), so `make demo` and `make test` work on a fresh Debian machine.

BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
PACKAGES := gcc make cmake pkg-config libluajit-5.1-dev luajit libuv1-dev node-llhttp time
# Where `make bench-deps` installs Bun; BUN=path picks another one.
BENCH_DEPS ?= $(HOME)/.cache/lode-bench
BUN ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build demo test bench bench-deps install asan clean

all: build

deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/lode examples/tour.lua

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	BUN="$(BUN)" BENCH_DEPS="$(BENCH_DEPS)" benchmarks/run.sh $(BUILD)/lode

# Bun, a yardstick for `make bench` only (never a build or test
# dependency): npm installs the bun package, whose binary comes in an
# optional dependency, under BENCH_DEPS, outside the source tree. npm comes
# from Debian when it is missing, and so does wrk, the load of
# benchmarks/http.sh.
bench-deps:
	@command -v npm > /dev/null || $(MAKE) --no-print-directory deps PACKAGES=npm
	@command -v wrk > /dev/null || $(MAKE) --no-print-directory deps PACKAGES=wrk
	npm install --prefix "$(BENCH_DEPS)" --no-audit --no-fund bun
	@for b in "$(BENCH_DEPS)"/node_modules/.bin/bun "$(BENCH_DEPS)"/node_modules/@oven/bun-*/bin/bun; do \
	  if "$$b" --version > /dev/null 2>&1; then echo "bun $$("$$b" --version) at $$b"; exit 0; fi; \
	done; echo "the bun package left no binary that runs here" >&2; exit 1

install: build
	cmake --install $(BUILD)

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLODE_ASAN=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) build-asan

# spod: a thin wrapper over CMake. `make run` and `make test` are the two set-up commands;
# every target installs what is missing first (scripts/install-deps.sh is idempotent).

BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
BENCH_BUILD  ?= build-release
BENCH_VSOCK  ?= 1
BENCH_UNSEAL_KEYS ?= 10000
SOAK_CLIENTS ?= 10
SOAK_REQUESTS ?= 100000
FUZZ_SECONDS ?= 30
FUZZ_RUNS    ?= 10000000
FUZZ_BUDGET  ?= 7200
FUZZ_CAP     ?=
JOBS         ?= $(shell nproc)
CTEST        := ctest --output-on-failure --timeout 600 -j $(JOBS)
SOURCES      := $(shell find src include tests bench examples -name '*.[ch]' 2>/dev/null)

.PHONY: all deps build test unit sanitize fuzz fuzz-smoke fuzz-minimize bench bench-trace run stop format format-check \
        lint clean soak image image-lock image-pcrs image-inputs

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Everything: formatting, unit + integration tests, a bounded fuzz run, then the suite
# under ASan+UBSan.
# A test that cannot run here exits 77 (ctest: "Skipped") and leaves its reason in
# BUILD/skipped/, printed after the run.
test: build format-check
	@rm -rf $(BUILD)/skipped
	@$(CTEST) --test-dir $(BUILD) -L 'unit|integration'; rc=$$?; \
	  cat $(BUILD)/skipped/* 2>/dev/null || true; exit $$rc
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory sanitize

unit: build
	$(CTEST) --test-dir $(BUILD) -L unit

sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	      -DSPOD_SANITIZE=ON
	ninja -C $(ASAN_BUILD)
	@rm -rf $(ASAN_BUILD)/skipped
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(CTEST) --test-dir $(ASAN_BUILD) -L 'unit|integration'; rc=$$?; \
	  cat $(ASAN_BUILD)/skipped/* 2>/dev/null || true; exit $$rc

$(FUZZ_BUILD)/build.ninja: | deps
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	      -DSPOD_FUZZ=ON -DSPOD_FUZZ_SECONDS=$(FUZZ_SECONDS)

fuzz-smoke: deps $(FUZZ_BUILD)/build.ninja
	cmake -S . -B $(FUZZ_BUILD) -DSPOD_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	ninja -C $(FUZZ_BUILD) fuzzers
	ctest --output-on-failure -j $(JOBS) --test-dir $(FUZZ_BUILD) -L fuzz

# The long run: every target alone, one after the other, to FUZZ_RUNS executions or its cap
# (FUZZ_CAP seconds; default FUZZ_BUDGET / number of targets); the table goes to
# $(FUZZ_BUILD)/fuzz-report.md. Fails at the end when any target found something.
fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) fuzzers
	FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_BUDGET=$(FUZZ_BUDGET) FUZZ_CAP=$(FUZZ_CAP) \
	  sh tests/fuzz/run_long.sh $(FUZZ_BUILD)

# Each target's seeds and working corpus merged (-merge=1) into tests/fuzz/corpus/ (commit it).
fuzz-minimize: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) fuzzers
	sh tests/fuzz/run_long.sh --minimize $(FUZZ_BUILD)

bench: deps
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	ninja -C $(BENCH_BUILD)
	./bench/run.sh $(BENCH_BUILD) $(BENCH_ARGS)
	./bench/unseal.sh $(BENCH_BUILD) $(BENCH_UNSEAL_KEYS)
	@if [ "$(BENCH_VSOCK)" != 0 ]; then ./bench/vsock.sh $(BENCH_BUILD) $(BENCH_VSOCK_ARGS); \
	 else echo "bench: vsock guest rows skipped (BENCH_VSOCK=0)"; fi

# Where the time of a signature goes (bench/README.md, "Trace build"): a Release build with
# -DSPOD_TRACE=ON in build-trace (never the production binaries), bench/run.sh --trace.
BENCH_TRACE_BUILD ?= build-trace
bench-trace: deps
	cmake -S . -B $(BENCH_TRACE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSPOD_TRACE=ON
	ninja -C $(BENCH_TRACE_BUILD) spod spod-host spod-enclave spod-bench alloc_count
	./bench/run.sh $(BENCH_TRACE_BUILD) --trace $(BENCH_ARGS)

# The soak (docs/testing.md, "Soak"): SOAK_CLIENTS clients x SOAK_REQUESTS mixed requests over
# both fronts while the enclave is killed every 20 s; RSS and descriptors must stay flat.
# SOAK_OUT=DIR keeps the samples, the summary and the host log.
soak: build
	SPOD_BIN=$(abspath $(BUILD)) SPOD_SRC=$(CURDIR) SOAK_CLIENTS=$(SOAK_CLIENTS) \
	  SOAK_REQUESTS=$(SOAK_REQUESTS) bash tests/soak/soak.sh

# The enclave image from the locked Debian packages of image/lock (docs/image.md):
# $(BUILD)/image/spod-enclave.eif, its PCRs printed and compared with image/expected-pcrs.json.
# INPUTS=FILE takes the packages from a `make image-inputs` tarball, without network.
image: build
	./image/build.sh $(BUILD) $(BUILD)/image $(if $(INPUTS),--inputs $(INPUTS))

# A new lock from what Debian serves today, and the expected PCRs of its image (a new release).
image-lock: build
	./image/lock-refresh.sh $(BUILD)

# The expected PCRs rewritten from the current lock and sources (after a change to the enclave).
image-pcrs: build
	./image/build.sh $(BUILD) $(BUILD)/image --write-expected

# Every locked package, the lock and the expected PCRs in one tarball, for rebuilding later.
image-inputs: deps
	./image/inputs.sh $(BUILD)/image-inputs

# HTTP=ADDR:PORT serves the pod's HTTP API there (default 127.0.0.1:8790; a second pod
# needs another port, e.g. make run HTTP=127.0.0.1:8791).
run: build
	@HTTP='$(HTTP)' ./scripts/run.sh $(BUILD)

stop:
	@./scripts/stop.sh

format: deps
	clang-format -i $(SOURCES)

format-check: deps
	@clang-format --dry-run --Werror $(SOURCES) && echo "format-check: $(words $(SOURCES)) files clean"

lint: build
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem --std=c11 \
	  --project=$(BUILD)/compile_commands.json -i$(BUILD)/CMakeFiles

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(BENCH_BUILD)

# The README's two commands: `make demo` (the main job) and `make test` (all tests).
# Each installs missing Debian packages first, then builds.
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
BUILD     ?= build
ASAN      ?= build-asan
FUZZBUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CCFAAS    := $(BUILD)/src/cli/ccfaas

.PHONY: all deps build build-asan test test-fast demo fuzz reproducible-check clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Sanitizer build with clang: also builds the libFuzzer targets (smoke-run by ctest).
build-asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	    -DCCF_SANITIZE=ON -DCCF_FUZZ=ON >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)

test: build build-asan
	@echo "== tests (release build) =="
	@ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure
	@echo "== tests (ASan+UBSan build) =="
	@ctest --test-dir $(ASAN) -j $(JOBS) --output-on-failure

# Release-build tests only, for a quick edit-test loop.
test-fast: build
	@ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure

demo: build
	@$(CCFAAS) demo
	@examples/video-detect/demo $(BUILD)
	@examples/cocos/demo $(BUILD)

# Every fuzz target for FUZZ_SECONDS each; new inputs are added to tests/fuzz/corpus/.
fuzz: deps
	@cmake -S . -B $(FUZZBUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCCF_SANITIZE=ON -DCCF_FUZZ=ON >/dev/null
	@cmake --build $(FUZZBUILD) -j $(JOBS)
	@tests/fuzz/run-all $(FUZZBUILD)/tests/fuzz $(FUZZ_SECONDS)

# Two builds of ccfaas-runtime from HEAD in different directories must be
# bit-identical: the measurement users trust is reproducible (CI runs it).
reproducible-check: deps
	@scripts/reproducible-check $(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZBUILD)

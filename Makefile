# provider-docr: one Makefile for the provider, the simulator, the function and their packages.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT      := $(abspath .)
CACHE     := $(ROOT)/.cache
TOOLS_DIR := $(CACHE)/tools
TOOLS_BIN := $(TOOLS_DIR)/bin
export DOCR_TOOLS_BIN := $(TOOLS_BIN)
export GOFLAGS ?= -buildvcs=false

CONTROLLER_GEN := $(TOOLS_BIN)/controller-gen
ANGRYJET       := $(TOOLS_BIN)/angryjet
GOLANGCI_LINT  := $(TOOLS_BIN)/golangci-lint
# -timeout is per package; with go test's default -p (one package per core) the whole run
# stays well inside CI's 90 minutes even if one package hangs.
GO_TEST_FLAGS  ?= -count=1 -timeout=30m
TEST_LOG       := _output/test.log
# Every native fuzz target runs this long in `make fuzz`; `make test` runs each briefly.
FUZZTIME       ?= 10s
CI_FUZZTIME    ?= 5s

.PHONY: help
help: ## Show this help.
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Build the pinned toolchain (etcd, kube-apiserver, Crossplane core and CLI, generators, golangci-lint) into .cache/tools.
	@TOOLS_DIR=$(TOOLS_DIR) bash cluster/tools/build.sh

.PHONY: generate
generate: tools ## Regenerate deepcopy, managed-resource methods and CRDs.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./apis/...
	$(ANGRYJET) generate-methodsets --header-file=hack/boilerplate.go.txt ./apis/...
	rm -rf package/provider/crds && mkdir -p package/provider/crds
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=./apis/... output:artifacts:config=package/provider/crds

.PHONY: check-generate
check-generate: tools ## Fail when generated files (deepcopy, methods, CRDs) differ from what `make generate` writes.
	@# Compare against the tree as it was before generating (on a fresh clone: the commit), so
	@# new, changed and removed generated files are all caught.
	@snap() { find apis package/provider/crds -type f 2>/dev/null | LC_ALL=C sort | xargs -r sha256sum; }; \
	  before=$$(snap); $(MAKE) --no-print-directory generate >/dev/null; after=$$(snap); \
	  if [ "$$before" != "$$after" ]; then \
	    echo "generated files are stale: run 'make generate' and commit the result"; \
	    diff <(echo "$$before") <(echo "$$after") || true; exit 1; fi; \
	  echo "generated files are up to date"

.PHONY: lint
lint: tools ## go vet, gofmt and golangci-lint (config: .golangci.yml); runs all three, then fails if any did.
	@rc=0; echo "go vet ./..."; go vet ./... || rc=1; \
	  out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; rc=1; fi; \
	  echo "golangci-lint run ./..."; $(GOLANGCI_LINT) run --allow-serial-runners ./... || rc=1; exit $$rc

.PHONY: build
build: ## Build the provider, simulator and function binaries into _output/bin.
	CGO_ENABLED=0 go build -trimpath -o _output/bin/ ./cmd/provider ./cmd/docr-sim ./functions/docr

.PHONY: test-unit
test-unit: ## Unit tests only (no control plane).
	go test $(GO_TEST_FLAGS) -short ./...

.PHONY: test
test: tools ## Every suite: generated-code check, lint, unit, integration, end-to-end (README and CI run this).
	@# The gates do not stop the tests: one run shows every problem, then fails if any gate did.
	@mkdir -p $(dir $(TEST_LOG)); failed=""; \
	  $(MAKE) --no-print-directory check-generate || failed="$$failed check-generate"; \
	  $(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	  $(MAKE) --no-print-directory fuzz FUZZTIME=$(CI_FUZZTIME) || failed="$$failed fuzz"; \
	  set +e; go test $(GO_TEST_FLAGS) ./... 2>&1 | tee $(TEST_LOG); rc=$${PIPESTATUS[0]}; set -e; \
	  echo; echo "== go test summary: $$(grep -cE '^ok ' $(TEST_LOG)) packages ok," \
	    "$$(grep -cE '^FAIL[[:space:]]+[^[:space:]]+[[:space:]]' $(TEST_LOG)) failed," \
	    "$$(grep -cE '^\?[[:space:]]' $(TEST_LOG)) without tests (log: $(TEST_LOG))"; \
	  grep -E '^(FAIL|--- FAIL)' $(TEST_LOG) || true; \
	  if [ $$rc -ne 0 ]; then failed="$$failed go-test"; fi; \
	  if [ -n "$$failed" ]; then echo "== make test FAILED:$$failed"; exit 1; fi; echo "== make test passed"

.PHONY: bench
bench: tools ## Benchmarks, repeated, and the provider process measured (~25 min today): writes docs/benchmarks.md.
	go run ./cluster/bench --out=docs/benchmarks.md

.PHONY: xpkg
xpkg: ## Build the provider, function and configuration packages (multi-arch, reproducible) into _output/xpkg.
	go run ./cluster/xpkg/cmd/build-xpkg --out=_output/xpkg

.PHONY: e2e
e2e: tools ## End-to-end suite: Crossplane core installs our packages and drives them against the simulator (docs/e2e.md).
	go test -count=1 -v -timeout=40m ./test/e2e/...

.PHONY: dev
dev: tools ## Run the whole stack in the foreground (control plane, simulator, Crossplane, provider, function); Ctrl-C stops it.
	go run ./cluster/dev

.PHONY: function-golden
function-golden: tools ## Rewrite the function's render golden files (test/render/testdata) after an intended change.
	go test -count=1 -run 'TestRender$$' ./test/render/ -update

.PHONY: bench-function
bench-function: ## Benchmark the composition function (docs/benchmarks-function.md).
	go test -run '^$$' -bench BenchmarkRunFunction -benchmem -count 5 ./functions/docr/

.PHONY: chaos
chaos: tools ## Long chaos run (20 provider kills, ~25 min): writes docs/resilience.md. DOCR_CHAOS_SEED=n picks the seed (docs/chaos.md).
	DOCR_CHAOS=long go test -count=1 -v -timeout=60m -run '^TestChaos$$' ./test/chaos/

.PHONY: fuzz
fuzz: ## Run every Go fuzz target (found by grep) for FUZZTIME each (default 10s; by hand e.g. FUZZTIME=10m).
	@mkdir -p _output; rc=0; for f in $$(git grep -l -E '^func Fuzz[A-Za-z0-9_]+\(' -- '*_test.go'); do \
	  pkg=./$$(dirname $$f); for name in $$(grep -oE '^func Fuzz[A-Za-z0-9_]+' $$f | cut -d' ' -f2); do \
	    echo "go test -run '^$$' -fuzz '^$$name\$$' -fuzztime $(FUZZTIME) $$pkg"; \
	    go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg > _output/fuzz-$$name.log 2>&1 \
	      && tail -1 _output/fuzz-$$name.log || { cat _output/fuzz-$$name.log; rc=1; }; \
	  done; done; exit $$rc

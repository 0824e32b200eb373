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
GO_TEST_FLAGS  ?= -count=1 -timeout=45m

.PHONY: help
help: ## Show this help.
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Build the pinned toolchain (kube-apiserver, etcd, Crossplane core and CLI, generators) into .cache/tools.
	@TOOLS_DIR=$(TOOLS_DIR) bash cluster/tools/build.sh

.PHONY: generate
generate: tools ## Regenerate deepcopy, managed-resource methods and CRDs.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./apis/...
	$(ANGRYJET) generate-methodsets --header-file=hack/boilerplate.go.txt ./apis/...
	rm -rf package/provider/crds && mkdir -p package/provider/crds
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=./apis/... output:artifacts:config=package/provider/crds

.PHONY: check-generate
check-generate: generate ## Fail when committed generated files are stale.
	@if [ -n "$$(git status --porcelain -- apis package)" ]; then \
	  echo "generated files are stale: run 'make generate' and commit the result"; \
	  git status --porcelain -- apis package; git --no-pager diff --stat -- apis package; exit 1; fi

.PHONY: lint
lint: ## go vet and gofmt.
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: build
build: ## Build the provider, simulator and function binaries into _output/bin.
	CGO_ENABLED=0 go build -trimpath -o _output/bin/ ./cmd/provider ./cmd/docr-sim ./functions/docr

.PHONY: test-unit
test-unit: ## Unit tests only (no control plane).
	go test $(GO_TEST_FLAGS) -short ./...

.PHONY: test
test: tools check-generate lint ## Every suite: unit, integration, end-to-end.
	go test $(GO_TEST_FLAGS) ./...

.PHONY: bench
bench: tools ## Benchmarks.
	go test -run '^$$' -bench . -benchmem ./...

.PHONY: xpkg
xpkg: ## Build the provider, function and configuration packages (multi-arch, reproducible) into _output/xpkg.
	go run ./cluster/xpkg/cmd/build-xpkg --out=_output/xpkg

#!/usr/bin/env bash
# Builds the pinned toolchain from the Go module proxy into $TOOLS_DIR (git-ignored).
# Each tool is built from a scratch wrapper module (some upstream modules carry replace
# directives or are refused by `go install pkg@version`). A tool whose binary exists with a
# matching version stamp is skipped, so a second run takes seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
TOOLS_DIR=${TOOLS_DIR:-$(cd "$here/../.." && pwd)/.cache/tools}
BIN="$TOOLS_DIR/bin"
SRC="$TOOLS_DIR/src"
mkdir -p "$BIN" "$SRC"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOWORK=off

# tool NAME STAMP -- builds unless $BIN/NAME.version equals STAMP
needs() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/$1.version" 2>/dev/null)" = "$2" ] && return 1; return 0; }
done_tool() { echo "$2" > "$BIN/$1.version"; }

# extra_ok: every "module@version" in $EXTRA_REQUIRE is already required by ./go.mod.
extra_ok() { local r; for r in ${EXTRA_REQUIRE:-}; do grep -q "${r%@*} ${r#*@}" go.mod || return 1; done; }

# wrapper DIR MODULE VERSION PKG... : scratch module that blank-imports the main packages.
wrapper() {
  local dir=$1 mod=$2 ver=$3; shift 3
  mkdir -p "$dir"
  ( cd "$dir"
    if [ ! -f go.mod ] || ! grep -q "$mod $ver" go.mod || ! extra_ok; then
      rm -f go.mod go.sum
      go mod init "tools.local/$(basename "$dir")" >/dev/null 2>&1
      go mod edit -require="$mod@$ver"
      for r in ${EXTRA_REQUIRE:-}; do go mod edit -require="$r"; done
      { echo '//go:build tools'; echo; echo 'package tools'; echo; echo 'import ('
        for p in "$@"; do echo "	_ \"$p\""; done; echo ')'; } > tools.go
      if [ -n "${WRAPPER_HOOK:-}" ]; then "$WRAPPER_HOOK"; fi
      go mod tidy >/dev/null
    fi )
}

build() { # NAME STAMP DIR LDFLAGS PKG
  local name=$1 stamp=$2 dir=$3 ldflags=$4 pkg=$5 start=$SECONDS
  echo ">> building $name $stamp"
  ( cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$BIN/$name" "$pkg" )
  done_tool "$name" "$stamp"
  echo ">> built $name in $((SECONDS-start))s"
}

k8s_replaces() { # staging modules of k8s.io/kubernetes resolve to the published v0.x tags
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  grep -oE '^\s*k8s.io/[a-z0-9-]+ => ./staging' "$gomod" | awk '{print $1}' | while read -r m; do
    go mod edit -replace="$m=$m@$KUBERNETES_STAGING_VERSION"
  done
}

total=$SECONDS
# Quick generators first: `make generate` needs them long before the control plane.
if needs controller-gen "$CONTROLLER_GEN_VERSION"; then
  wrapper "$SRC/controller-gen" sigs.k8s.io/controller-tools "$CONTROLLER_GEN_VERSION" sigs.k8s.io/controller-tools/cmd/controller-gen
  build controller-gen "$CONTROLLER_GEN_VERSION" "$SRC/controller-gen" "" sigs.k8s.io/controller-tools/cmd/controller-gen
fi

if needs angryjet "$ANGRYJET_VERSION"; then
  wrapper "$SRC/angryjet" github.com/crossplane/crossplane-tools "$ANGRYJET_VERSION" github.com/crossplane/crossplane-tools/cmd/angryjet
  build angryjet "$ANGRYJET_VERSION" "$SRC/angryjet" "" github.com/crossplane/crossplane-tools/cmd/angryjet
fi

if needs etcd "$ETCD_VERSION"; then
  wrapper "$SRC/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3/etcdmain
  # etcd's main package lives in the root module go.etcd.io/etcd/v3; its server module exposes etcdmain.
  mkdir -p "$SRC/etcd/cmd/etcd"
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > "$SRC/etcd/cmd/etcd/main.go"
  ( cd "$SRC/etcd" && go mod tidy >/dev/null )
  build etcd "$ETCD_VERSION" "$SRC/etcd" "" ./cmd/etcd
fi

for t in kube-apiserver kube-controller-manager; do
  if needs "$t" "$KUBERNETES_VERSION"; then
    WRAPPER_HOOK=k8s_replaces wrapper "$SRC/kubernetes" k8s.io/kubernetes "$KUBERNETES_VERSION" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
    build "$t" "$KUBERNETES_VERSION" "$SRC/kubernetes" \
      "-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35" \
      "k8s.io/kubernetes/cmd/$t"
  fi
done
if needs crossplane "$CROSSPLANE_VERSION"; then
  # crossplane/v2's go.mod replaces apis/v2 with its own ./apis directory and lists v2.3.4;
  # outside that repository the replace is ignored, so pin the matching apis release.
  EXTRA_REQUIRE="github.com/crossplane/crossplane/apis/v2@$CROSSPLANE_VERSION" \
    wrapper "$SRC/crossplane" github.com/crossplane/crossplane/v2 "$CROSSPLANE_VERSION" github.com/crossplane/crossplane/v2/cmd/crossplane
  build crossplane "$CROSSPLANE_VERSION" "$SRC/crossplane" "" github.com/crossplane/crossplane/v2/cmd/crossplane
fi
# The core's CRDs are needed by `crossplane core init` (CRDS_PATH).
if [ ! -d "$TOOLS_DIR/crossplane-crds" ]; then
  d=$(cd "$SRC/crossplane" && go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)
  cp -r "$d/cluster/crds" "$TOOLS_DIR/crossplane-crds" && chmod -R u+w "$TOOLS_DIR/crossplane-crds"
fi

if needs crossplane-cli "$CROSSPLANE_CLI_VERSION"; then
  wrapper "$SRC/crossplane-cli" github.com/crossplane/cli/v2 "$CROSSPLANE_CLI_VERSION" github.com/crossplane/cli/v2/cmd/crossplane
  build crossplane-cli "$CROSSPLANE_CLI_VERSION" "$SRC/crossplane-cli" "" github.com/crossplane/cli/v2/cmd/crossplane
fi

# golangci-lint v2.15.0 is built with (and understands) Go 1.26.
if needs golangci-lint "$GOLANGCI_LINT_VERSION"; then
  wrapper "$SRC/golangci-lint" github.com/golangci/golangci-lint/v2 "$GOLANGCI_LINT_VERSION" github.com/golangci/golangci-lint/v2/cmd/golangci-lint
  build golangci-lint "$GOLANGCI_LINT_VERSION" "$SRC/golangci-lint" "-X main.version=${GOLANGCI_LINT_VERSION#v}" github.com/golangci/golangci-lint/v2/cmd/golangci-lint
fi

echo ">> tools ready in $BIN ($((SECONDS-total))s)"

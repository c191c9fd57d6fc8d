#!/usr/bin/env bash
# Builds the test control plane's binaries from Go modules (no Docker, no downloads of release
# binaries): kube-apiserver and kubectl from k8s.io/kubernetes, an embedded etcd, and helm v4.
# The staging-module replace list is generated from k8s.io/kubernetes's own go.mod, so it cannot drift.
# Binaries are cached outside the repository, keyed by the versions, so only the first build is slow.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
K8S_VERSION="${K8S_VERSION:-v1.37.2}"
STAGING_VERSION="v0${K8S_VERSION#v1}"          # v1.37.2 -> v0.37.2
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${HELM_VERSION:-v4.3.1}"
CACHE="${AGENTGATE_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentgate/cluster}/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}"
BIN="$CACHE/bin"

# One build at a time per cache: concurrent test runs (or checkouts) wait here instead of corrupting it.
mkdir -p "$CACHE"
exec 9>"$CACHE.lock"
flock 9

if [[ -x "$BIN/kube-apiserver" && -x "$BIN/etcd" && -x "$BIN/kubectl" && -x "$BIN/helm" ]]; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "Go >= 1.26 is needed to build the local control plane" >&2; exit 1; }

work="$CACHE/src"
rm -rf "$work" && mkdir -p "$work" "$BIN"
cp -r "$here/cmd" "$work/"
k8s_dir="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
[[ -n "$k8s_dir" ]] || { echo "cannot download k8s.io/kubernetes@${K8S_VERSION}" >&2; exit 1; }
{
  echo "module agentgate.dev/testcluster"
  echo
  echo "go 1.26"
  echo
  echo "require ("
  echo "	k8s.io/kubernetes ${K8S_VERSION}"
  echo "	go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
  echo "	helm.sh/helm/v4 ${HELM_VERSION}"
  echo ")"
  echo
  # tool directives keep the main packages (and their modules) in the build graph through go mod tidy
  echo "tool ("
  echo "	k8s.io/kubernetes/cmd/kube-apiserver"
  echo "	k8s.io/kubernetes/cmd/kubectl"
  echo "	helm.sh/helm/v4/cmd/helm"
  echo ")"
  echo
  echo "replace ("
  sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\t\1 => \1 '"${STAGING_VERSION}"'#p' "$k8s_dir/go.mod"
  echo ")"
} > "$work/go.mod"
cd "$work"
echo "resolving modules (first build only) ..." >&2
GOFLAGS=-mod=mod go mod tidy >&2
export CGO_ENABLED=0
echo "building etcd, kube-apiserver, kubectl, helm into $BIN ..." >&2
go build -trimpath -o "$BIN/etcd" ./cmd/etcd
go build -trimpath -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -trimpath -o "$BIN/kubectl" k8s.io/kubernetes/cmd/kubectl
go build -trimpath -o "$BIN/helm" helm.sh/helm/v4/cmd/helm
echo "$BIN"

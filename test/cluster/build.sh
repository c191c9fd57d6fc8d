#!/usr/bin/env bash
# Builds the test cluster's binaries from Go modules (no Docker, no downloads of release binaries):
# kube-apiserver, kubectl and the node's kubelet, kube-controller-manager, kube-scheduler and kube-proxy
# from k8s.io/kubernetes, an embedded etcd, helm v4, and the kubelet's pause image (pause.c, gcc -static).
# The staging-module replace list is generated from k8s.io/kubernetes's own go.mod, so it cannot drift.
# Binaries are cached outside the repository, keyed by the versions, so only the first build is slow.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
K8S_VERSION="${K8S_VERSION:-v1.37.2}"
STAGING_VERSION="v0${K8S_VERSION#v1}"          # v1.37.2 -> v0.37.2
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${HELM_VERSION:-v4.3.1}"
# "-node" in the key: the cached set now includes the node binaries and carries version ldflags.
CACHE="${AGENTGATE_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentgate/cluster}/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}-node"
BIN="$CACHE/bin"

# One build at a time per cache: concurrent test runs (or checkouts) wait here instead of corrupting it.
mkdir -p "$CACHE"
exec 9>"$CACHE.lock"
flock 9

K8S_CMDS=(kube-apiserver kubectl kubelet kube-controller-manager kube-scheduler kube-proxy)
complete=1
for b in etcd helm "${K8S_CMDS[@]}" pause; do [[ -e "$BIN/$b" ]] || complete=0; done
if ((complete)); then
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
  for c in "${K8S_CMDS[@]}"; do echo "	k8s.io/kubernetes/cmd/$c"; done
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
# What k8s's hack/lib/version.sh stamps in a release build; without it every binary says v0.0.0-master.
# The build date is the module's release time, so the binaries do not change from one build to the next.
k8s_info="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^\t"Info": "\(.*\)",$/\1/p')"
k8s_time="$(sed -n 's/.*"Time":"\([0-9T:-]*\).*/\1/p' "$k8s_info")"
major="${K8S_VERSION#v}"; major="${major%%.*}"
minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=${K8S_VERSION} -X $pkg.gitMajor=${major} -X $pkg.gitMinor=${minor}"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${k8s_time}Z"
done
pkgs=(./cmd/etcd helm.sh/helm/v4/cmd/helm)
for c in "${K8S_CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
echo "building ${pkgs[*]##*/} into $BIN (one go build: ~14 min and ~3 GB memory from nothing, ~1 min warm) ..." >&2
# One invocation for all: the packages they share are compiled once (one at a time is several times slower).
go build -trimpath -ldflags "$ldflags" -o "$BIN/" "${pkgs[@]}"

# The kubelet's sandbox ("pause") process, static so that an image of this one file runs
# (test/cluster/node.ts wraps it into an OCI archive for containerd).
gcc -Os -static -o "$BIN/pause.tmp" "$k8s_dir/build/pause/linux/pause.c"
strip "$BIN/pause.tmp" && mv "$BIN/pause.tmp" "$BIN/pause"
rm -rf "$work"
echo "$BIN"

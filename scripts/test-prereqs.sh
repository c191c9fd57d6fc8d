#!/usr/bin/env bash
# What `npm test` needs besides npm packages, installed by the project itself so that the README's two
# commands pass on a fresh machine: Debian's psql, openssl, headless Chromium, poppler-utils (the report's PDF read back) and Prometheus (a real HTTP API); for the single-node
# cluster (test/cluster/node.ts) containerd, runc, the CNI plugins, iptables, conntrack, socat and a static
# busybox for the test image; and the test cluster's Kubernetes binaries (kube-apiserver, etcd, kubectl,
# helm, kubelet, controller-manager, scheduler, kube-proxy) built once from Go modules into a cache.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)   # pdftotext, pdfinfo: the report's PDF read back in tests
command -v containerd >/dev/null 2>&1 || missing+=(containerd)
command -v runc >/dev/null 2>&1 || missing+=(runc)
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || missing+=(containernetworking-plugins)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v conntrack >/dev/null 2>&1 || missing+=(conntrack)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[[ -e "/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/libc.a" ]] || missing+=(libc6-dev)
[[ -x /usr/bin/busybox ]] && /usr/bin/busybox --list >/dev/null 2>&1 && ! ldd /usr/bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
# A real HTTP API for the HTTP targets' tests (test/integration/http-prometheus.test.ts).
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "npm test needs these Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing ${missing[*]} (Debian packages) ..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bash test/cluster/build.sh >/dev/null

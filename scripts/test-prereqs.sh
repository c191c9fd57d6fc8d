#!/usr/bin/env bash
# What `npm test` needs besides npm packages, installed by the project itself so that the README's two
# commands pass on a fresh machine: Debian's psql, openssl, headless Chromium and Prometheus, and the test control
# plane (kube-apiserver, etcd, kubectl, helm) built once from Go modules into a cache outside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
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

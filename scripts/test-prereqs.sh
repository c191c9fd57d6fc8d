#!/usr/bin/env bash
# What `npm test` needs besides npm packages, installed by the project itself so that the README's two
# commands pass on a fresh machine: Debian's psql, openssl, headless Chromium and poppler-utils, and the test control
# plane (kube-apiserver, etcd, kubectl, helm) built once from Go modules into a cache outside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)   # pdftotext, pdfinfo: the report's PDF read back in tests
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

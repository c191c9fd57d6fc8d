#!/usr/bin/env bash
# What `npm run bench` compares against besides what `npm test` installs: pgbouncer (the baseline every goal
# of issue #14 is a ratio to) and strace (syscalls per statement). Without them the bench would print a
# table with the pgbouncer column skipped, which answers none of its questions; so a fresh machine gets them.
set -euo pipefail

missing=()
# Where test/bench/pgbench.ts looks for it (Debian's package puts it in /usr/sbin).
[[ -x /usr/sbin/pgbouncer || -x /usr/bin/pgbouncer ]] || missing+=(pgbouncer)
command -v strace >/dev/null 2>&1 || missing+=(strace)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "npm run bench needs these Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing ${missing[*]} (Debian packages) ..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

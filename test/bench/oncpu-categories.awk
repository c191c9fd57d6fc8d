# On-CPU shares of one process, by what its time is spent on (docs/performance.md, round 6).
# perf samples only time on a CPU, so time spent waiting inside a syscall or preempted is not counted
# (V8's --cpu-prof samples wall-clock time and charges that waiting to the syscall).
#
#   BENCH_ONLY=tps8 BENCH_PROXY_NODE_ARGS=--perf-basic-prof npx tsx test/bench/pgbench.ts &
#   perf record -a -g -e cpu-clock -F 499 -o /tmp/perf.data -- sleep 75
#   perf script -i /tmp/perf.data -F pid,tid,time,ip,sym,dso > /tmp/perf.txt
#   awk -v P=<proxy pid, as in /tmp/perf-<pid>.map> -f test/bench/oncpu-categories.awk /tmp/perf.txt | sort -rn
#
# Each sample goes to the first category its call stack matches; JavaScript of the proxy is charged to the
# innermost proxy module on the stack. With -v GROUP=1 the categories are summed into the groups of the
# table in docs/performance.md. -v FROM=<t> -v TO=<t> keep only samples in that window (perf's time stamps, in
# seconds), e.g. to leave out the seconds after start while V8 still optimizes the hot functions.
BEGIN { RS = "" }
{
  split($0, L, "\n"); split(L[1], h, " "); split(h[1], pt, "/")
  if (pt[1] != P) next
  if ((FROM != "" && h[2] + 0 < FROM + 0) || (TO != "" && h[2] + 0 >= TO + 0)) next
  n++
  if (pt[2] != P) { c["V8 helper threads (GC, compiler)"]++; next }
  cat = ""
  if ($0 ~ /CollectGarbage|Scavenge|MarkCompact/) cat = "GC on the main thread"
  else if ($0 ~ /Socket._writeGeneric/) cat = "socket writes (JS streams + syscall + loopback TCP)"
  else if ($0 ~ /writeSync node:fs/) cat = "audit and recording file writes (writeSync)"
  else if ($0 ~ /JsonStringify/) cat = "JSON.stringify"
  else if ($0 ~ /sha256|OneShotDigest/) cat = "SHA-256"
  else if ($0 ~ /onStreamRead/) {
    for (i = 2; i <= length(L); i++) if (L[i] ~ /\/proxy\/[a-z-]+\/[a-z-]+\.js:/) {
      f = L[i]; sub(/.*\/proxy\//, "proxy/", f); sub(/\.js:.*/, "", f); cat = "JS " f; break
    }
    if (cat == "") cat = "node streams, socket reads (no proxy frame)"
  }
  else if ($0 ~ /uv__io_poll|epoll/) cat = "event loop: epoll, socket reads"
  else if ($0 ~ /uv__run_timers|listOnTimeout|processTimers/) cat = "timers"
  else cat = "other (start, compiling, idle phases)"
  c[cat]++
}
function group(cat) {
  if (cat ~ /socket|epoll|node streams/) return "I/O every proxy does (socket reads and writes, epoll)"
  if (cat ~ /writeSync|audit\/|SHA-256|JSON.stringify|gate\/record$/) return "audit records (serialize, hash, write)"
  if (cat ~ /proxy\/postgres\/result-masker|proxy\/masking\//) return "masking (statement text, results)"
  if (cat ~ /proxy\/postgres\//) return "session (framing, queue, names, bookkeeping)"
  if (cat ~ /proxy\/sql\//) return "classification (cache, template, resolve, catalog)"
  if (cat ~ /proxy\/gate\//) return "gate (decide, guards)"
  if (cat ~ /observability/) return "metrics"
  if (cat ~ /GC|helper/) return "GC and V8 helper threads"
  return "other"
}
END {
  for (t in c) g[GROUP ? group(t) : t] += c[t]
  for (t in g) printf "%5.1f%% %s\n", 100 * g[t] / n, t
  print n " samples"
}

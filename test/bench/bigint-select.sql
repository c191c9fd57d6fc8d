-- pgbench -S with a bigint id past 32 bits (a numeric constant to PostgreSQL's scanner): test/bench/cpu-ab.ts AB_SCRIPT
\set aid random(3000000000, 3999999999)
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;

/**
 * The one table of session settings: what changing a setting means for enforcement, whatever route
 * changes it (SET, SET LOCAL, RESET, set_config(), a function's SET clause, ALTER ROLE/DATABASE ... SET,
 * startup parameters). A setting that is not listed is not harmless: it is `unknown` (fail closed).
 *
 * search_path is pinned too, by a verdict of its own: the proxy resolves unqualified relation names with
 * the role's default path (search-path.ts), so no route may change it, whatever the policy allows
 * (policy/decide.ts refuses it before any rule).
 */
import type { Effect } from './types.js';

export type SettingVerdict =
  /** The proxy's parser and the session guard rely on its value; it may never change. */
  | 'pinned'
  /** Name resolution relies on it (search_path): refused by every route before any rule. */
  | 'names'
  /** Turned off, it lifts the read-only backstop of a ReadOnly target. */
  | 'read-only'
  /** Changes who the session acts as. */
  | 'privilege'
  /** Weakens the server's own controls or hides activity from its log. */
  | 'control'
  /** Changes nothing anyone else can see and nothing the proxy relies on. */
  | 'harmless'
  | 'unknown';

/** Settings pinned for the whole session: the upstream startup sets them, the session guard watches them. */
export const PINNED_SETTINGS: Readonly<Record<string, string>> = {
  client_encoding: 'UTF8',
  standard_conforming_strings: 'on',
};

const TABLE = new Map<string, SettingVerdict>();
const verdicts = (v: SettingVerdict, names: string): void => {
  for (const n of names.trim().split(/\s+/)) TABLE.set(n, v);
};

verdicts('pinned', `client_encoding standard_conforming_strings backslash_quote`);
verdicts('names', `search_path`);
verdicts('read-only', `default_transaction_read_only transaction_read_only`);
verdicts('privilege', `role session_authorization`);
verdicts(
  'control',
  `
  session_replication_role row_security allow_system_table_mods allow_in_place_tablespaces session_preload_libraries
  local_preload_libraries dynamic_library_path ignore_system_indexes lo_compat_privileges zero_damaged_pages
  ignore_checksum_failure ignore_invalid_pages default_tablespace temp_tablespaces jit_provider
  log_statement log_min_duration_statement log_min_duration_sample log_statement_sample_rate
  log_transaction_sample_rate log_min_messages log_min_error_statement log_duration log_error_verbosity
  log_parameter_max_length log_parameter_max_length_on_error log_lock_waits log_temp_files log_replication_commands
  log_executor_stats log_parser_stats log_planner_stats log_statement_stats log_connections log_disconnections
  debug_print_parse debug_print_rewritten debug_print_plan debug_pretty_print debug_discard_caches
  trace_sort trace_locks trace_lwlocks trace_userlocks trace_lock_oidmin trace_lock_table
  track_activities track_counts track_io_timing track_wal_io_timing track_functions track_activity_query_size
  compute_query_id update_process_title event_triggers wal_compression wal_consistency_checking
  temp_file_limit max_stack_depth commit_siblings commit_delay vacuum_cost_delay
`,
);
verdicts(
  'harmless',
  `
  application_name escape_string_warning datestyle intervalstyle timezone timezone_abbreviations extra_float_digits bytea_output
  client_min_messages check_function_bodies default_text_search_config lc_monetary lc_numeric lc_time
  xmlbinary xmloption array_nulls quote_all_identifiers default_with_oids transform_null_equals
  statement_timeout lock_timeout idle_in_transaction_session_timeout idle_session_timeout transaction_timeout
  default_transaction_isolation transaction_isolation default_transaction_deferrable transaction_deferrable
  synchronous_commit work_mem maintenance_work_mem temp_buffers hash_mem_multiplier logical_decoding_work_mem
  effective_cache_size effective_io_concurrency maintenance_io_concurrency random_page_cost seq_page_cost
  cpu_tuple_cost cpu_index_tuple_cost cpu_operator_cost parallel_setup_cost parallel_tuple_cost
  min_parallel_table_scan_size min_parallel_index_scan_size max_parallel_workers_per_gather
  max_parallel_maintenance_workers parallel_leader_participation debug_parallel_query force_parallel_mode
  enable_async_append enable_bitmapscan enable_gathermerge enable_hashagg enable_hashjoin enable_incremental_sort
  enable_indexscan enable_indexonlyscan enable_material enable_memoize enable_mergejoin enable_nestloop
  enable_parallel_append enable_parallel_hash enable_partition_pruning enable_partitionwise_join
  enable_partitionwise_aggregate enable_presorted_aggregate enable_seqscan enable_sort enable_tidscan
  enable_group_by_reordering enable_self_join_elimination enable_distinct_reordering
  geqo geqo_threshold geqo_effort geqo_pool_size geqo_generations geqo_selection_bias geqo_seed
  default_statistics_target constraint_exclusion cursor_tuple_fraction from_collapse_limit join_collapse_limit
  plan_cache_mode recursive_worktree_factor jit jit_above_cost jit_inline_above_cost jit_optimize_above_cost
  jit_expressions jit_tuple_deforming gin_fuzzy_search_limit gin_pending_list_limit
  default_toast_compression default_table_access_method exit_on_error tcp_keepalives_idle
  tcp_keepalives_interval tcp_keepalives_count tcp_user_timeout client_connection_check_interval
  vacuum_freeze_min_age vacuum_freeze_table_age vacuum_multixact_freeze_min_age vacuum_multixact_freeze_table_age
  vacuum_failsafe_age vacuum_multixact_failsafe_age vacuum_cost_limit vacuum_cost_page_hit vacuum_cost_page_miss
  vacuum_cost_page_dirty vacuum_buffer_usage_limit
`,
);

/** Settings whose change every route refuses before any policy rule: the proxy's name resolution relies on them ('*': any name). */
export const NAME_SETTINGS: ReadonlySet<string> = new Set(['search_path', '*']);

/** The verdict for one setting name (case-insensitive, as PostgreSQL reads them). */
export function settingVerdict(name: string): SettingVerdict {
  const n = name.toLowerCase();
  // The agent's own annotations (SET agentgate.reason = '...'): placeholders the server only stores.
  if (n.startsWith('agentgate.') && n.length > 'agentgate.'.length) return 'harmless';
  return TABLE.get(n) ?? 'unknown';
}

export interface SettingChange {
  /** The setting changed, lower case; '*' when the name is not a literal (any setting). */
  setting: string;
  effect: Effect;
  liftsReadOnly: boolean;
  reason?: string;
}

/** What changing `name` by `route` (e.g. "SET", "set_config()") does, in the classifier's vocabulary. */
export function settingChange(name: string, route: string): SettingChange {
  const n = name.toLowerCase();
  switch (settingVerdict(n)) {
    case 'harmless':
      return { setting: n, effect: 'session', liftsReadOnly: false };
    case 'pinned':
      return {
        setting: n,
        effect: 'admin',
        liftsReadOnly: true,
        reason: `${route} of ${n}: agentgate pins this setting (the proxy parses statements with it)`,
      };
    case 'names':
      return {
        setting: n,
        effect: 'admin',
        liftsReadOnly: false,
        reason: `${route} of ${n}: agentgate resolves unqualified table names with the role's default search_path, so it may not change; qualify names with their schema`,
      };
    case 'read-only':
      return {
        setting: n,
        effect: 'admin',
        liftsReadOnly: true,
        reason: `${route} of ${n} could lift the read-only guard`,
      };
    case 'privilege':
      return {
        setting: n,
        effect: 'privilege',
        liftsReadOnly: false,
        reason: `${route} of ${n} changes who the session acts as`,
      };
    case 'control':
      return { setting: n, effect: 'admin', liftsReadOnly: false, reason: `${route} of ${n} controls enforcement` };
    case 'unknown':
      return {
        setting: n,
        effect: 'unknown',
        liftsReadOnly: false,
        reason: `${route} of ${n}: not a setting agentgate knows to be harmless`,
      };
  }
}

/** A setting name that is not a literal: anything could change, including the read-only guard. */
export function unknownSettingChange(route: string): SettingChange {
  return {
    setting: '*',
    effect: 'admin',
    liftsReadOnly: true,
    reason: `${route} with a setting name that is not a literal`,
  };
}

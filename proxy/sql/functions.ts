/**
 * What a function call does. Built-in functions with known side effects are listed here; everything
 * else is decided by the target's catalog (`pg_proc.provolatile`): immutable and stable functions cannot
 * change state, volatile ones may, and a function the catalog does not know is `unknown` (fail closed).
 */
import type { Effect, FunctionRef } from './types.js';
import { settingChange, unknownSettingChange } from './settings.js';
import type { Catalog } from './catalog.js';

const WRITE_FUNCTIONS = new Set([
  'nextval',
  'setval',
  'lo_create',
  'lo_creat',
  'lo_unlink',
  'lo_put',
  'lowrite',
  'lo_from_bytea',
  'lo_truncate',
  'lo_truncate64',
  'lo_open',
  'lo_close',
  'loread',
  'lo_lseek',
  'lo_lseek64',
  'lo_tell',
  'lo_tell64',
  'lo_get',
]);

const ADMIN_FUNCTIONS = new Set([
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_ls_logdir',
  'pg_ls_waldir',
  'pg_ls_tmpdir',
  'pg_ls_archive_statusdir',
  'pg_ls_logicalsnapdir',
  'pg_ls_logicalmapdir',
  'pg_ls_replslotdir',
  'lo_import',
  'lo_export',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_file_sync',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_promote',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_replication_slot_advance',
  'pg_logical_emit_message',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_peek_changes',
  'pg_replication_origin_create',
  'pg_replication_origin_drop',
  'pg_replication_origin_session_setup',
  'pg_replication_origin_advance',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_stat_reset',
  'pg_stat_reset_shared',
  'pg_stat_reset_single_table_counters',
  'pg_stat_reset_single_function_counters',
  'pg_stat_reset_slru',
  'pg_stat_reset_replication_slot',
  'pg_stat_reset_subscription_stats',
  'pg_log_backend_memory_contexts',
  'pg_sync_replication_slots',
  'pg_import_system_collations',
  'binary_upgrade_set_next_pg_type_oid',
]);

/** Builtins that run SQL given as a string, which the proxy cannot classify. */
const SQL_STRING_FUNCTIONS = new Set([
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'ts_stat',
  'dblink',
  'dblink_exec',
  'dblink_open',
  'dblink_fetch',
  'dblink_send_query',
]);

/** A builtin that runs SQL given as a string: what it reads cannot be known from the statement. */
export function runsSqlString(name: string): boolean {
  return SQL_STRING_FUNCTIONS.has(name);
}

const SESSION_FUNCTIONS = new Set([
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_advisory_unlock',
  'pg_advisory_unlock_shared',
  'pg_advisory_unlock_all',
  'pg_advisory_xact_lock',
  'pg_advisory_xact_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared',
  'setseed',
  'pg_notify',
]);

/** Volatile builtins that change nothing anyone else can see. */
const HARMLESS_VOLATILE = new Set([
  'random',
  'random_normal',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'txid_current',
  'txid_current_if_assigned',
  'pg_current_xact_id',
  'pg_current_xact_id_if_assigned',
  'pg_sleep',
  'pg_sleep_for',
  'pg_sleep_until',
  'currval',
  'lastval',
  'pg_current_wal_lsn',
  'pg_current_wal_insert_lsn',
  'pg_current_wal_flush_lsn',
  'pg_backend_pid',
  'now',
  'statement_timestamp',
  'transaction_timestamp',
  'pg_stat_get_activity',
  'pg_stat_get_backend_idset',
  'current_setting',
  'pg_stat_clear_snapshot',
  'pg_listening_channels',
  'pg_notification_queue_usage',
  'inet_client_addr',
  'inet_client_port',
  'inet_server_addr',
  'inet_server_port',
  'pg_conf_load_time',
  'pg_postmaster_start_time',
  'pg_trigger_depth',
  'pg_jit_available',
  'pg_get_keywords',
  'pg_blocking_pids',
  'pg_safe_snapshot_blocking_pids',
  'pg_isolation_test_session_is_blocked',
  'pg_stat_get_snapshot_timestamp',
  'pg_control_checkpoint',
]);

export interface FunctionEffect {
  /** Settings the call changes (set_config(), or the function's SET clauses). */
  settings?: string[];
  effect?: Effect;
  reason?: string;
  liftsReadOnly?: boolean;
}

export function functionEffect(ref: FunctionRef, catalog: Catalog): FunctionEffect {
  const name = ref.name;
  const qualified = ref.schema ? `${ref.schema}.${name}` : name;
  const builtin = !ref.schema || ref.schema === 'pg_catalog';
  if (builtin) {
    // A user function named set_config could be picked up instead (search_path = public, pg_catalog): catalog decides.
    if (name === 'set_config' && !(ref.schema === undefined && catalog.hasUserFunction(name))) {
      // The same verdict as SET for the same setting (settings.ts); is_local changes nothing here.
      const c =
        ref.settingName === undefined
          ? unknownSettingChange('set_config()')
          : settingChange(ref.settingName, 'set_config()');
      return {
        settings: [c.setting],
        effect: c.effect,
        liftsReadOnly: c.liftsReadOnly,
        ...(c.reason ? { reason: c.reason } : {}),
      };
    }
    if (WRITE_FUNCTIONS.has(name)) return { effect: 'write', reason: `${name}() changes state` };
    if (ADMIN_FUNCTIONS.has(name)) return { effect: 'admin', reason: `${name}() is an administrative function` };
    if (SQL_STRING_FUNCTIONS.has(name)) return { effect: 'unknown', reason: `${name}() runs SQL given as a string` };
    if (SESSION_FUNCTIONS.has(name)) return { effect: 'session' };
  }
  // A same-named user function could be picked up through search_path: it counts too.
  const volatility = catalog.functionVolatility(ref.schema, name);
  // A SET clause applies for the whole call (whatever the body does): the same verdict as SET.
  const clauses = catalog.functionSettings?.(ref.schema, name) ?? [];
  for (const setting of clauses) {
    const c = settingChange(setting, `calling ${qualified}() (its SET clause)`);
    if (c.effect !== 'session')
      return {
        settings: clauses,
        effect: c.effect,
        liftsReadOnly: c.liftsReadOnly,
        ...(c.reason ? { reason: c.reason } : {}),
      };
  }
  const viaClauses = clauses.length ? { settings: clauses } : {};
  if (volatility === undefined)
    return { ...viaClauses, effect: 'unknown', reason: `function ${qualified}() is not in the target's catalog` };
  if (volatility === 'v' && !(builtin && HARMLESS_VOLATILE.has(name) && !catalog.hasUserFunction(name))) {
    return { ...viaClauses, effect: 'unknown', reason: `function ${qualified}() is volatile and may change state` };
  }
  return viaClauses;
}

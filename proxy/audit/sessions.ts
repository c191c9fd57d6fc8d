/**
 * Session recordings, replayed from the hash-chained audit log itself (so they are covered by the
 * chain): per agent session, the ordered statements with their decisions, timings and result metadata
 * (rows, masked-value counts — never data).
 */
import { readFileSync } from 'node:fs';
import { parseRecord, type AuditRecord } from './record.js';

export interface SessionSummary {
  session: string;
  principal?: AuditRecord['principal'];
  target?: string;
  opened?: string;
  closed?: string;
  statements: number;
  denied: number;
}

export function readRecords(files: string[]): AuditRecord[] {
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map(parseRecord));
}

export function listSessions(records: AuditRecord[]): SessionSummary[] {
  const by = new Map<string, SessionSummary>();
  for (const r of records) {
    const id = r.session?.id;
    if (!id) continue;
    let s = by.get(id);
    if (!s) by.set(id, (s = { session: id, statements: 0, denied: 0 }));
    s.principal ??= r.principal;
    s.target ??= r.target;
    if (r.event.action === 'connection.open') s.opened = r['@timestamp'];
    if (r.event.action === 'connection.close') s.closed = r['@timestamp'];
    if (r.event.action === 'statement.decision') {
      s.statements++;
      if (r.enforced) s.denied++;
    }
  }
  return [...by.values()];
}

/** A readable replay of one session. */
export function renderSession(records: AuditRecord[], session: string): string {
  const mine = records.filter((r) => r.session?.id === session);
  if (!mine.length) throw new Error(`no session ${session} in the audit log`);
  const completions = new Map(
    mine.filter((r) => r.event.action === 'statement.completion').map((r) => [r.decisionSeq, r]),
  );
  const p = mine.find((r) => r.principal)?.principal;
  const lines = [
    `session ${session}`,
    `  agent   ${p?.sub ?? '?'} (issuer ${p?.iss ?? '?'})${p?.kubernetes ? ` pod ${p.kubernetes.namespace}/${p.kubernetes.pod ?? '?'}` : ''}`,
    ...(p?.triggeredBy
      ? [
          `  for     ${p.triggeredBy.sub} (issuer ${p.triggeredBy.iss}${p.triggeredBy.groups?.length ? `; groups ${p.triggeredBy.groups.join(', ')}` : ''}), run ${p.runId}`,
        ]
      : []),
    `  target  ${mine.find((r) => r.target)?.target ?? '?'}`,
    '',
  ];
  let n = 0;
  for (const r of mine) {
    const t = r['@timestamp'].slice(11, 23);
    if (r.event.action === 'statement.decision') {
      const done = completions.get(r.seq);
      const verdict = r.enforced
        ? `${r.decision?.toUpperCase()} by ${r.rule?.name}`
        : r.decision === 'Allow'
          ? 'allowed'
          : `${r.decision} by ${r.rule?.name} (not enforced)`;
      const skipped = (r.detail as { notExecuted?: string } | undefined)?.notExecuted;
      const outcome = done
        ? done.error
          ? `error ${done.error.code ?? ''} ${done.error.message}`
          : `${done.http ? `HTTP ${done.http.status} ${done.http.responseBytes ?? 0} bytes` : `${done.db?.operation?.name ?? ''} ${done.db?.response?.returned_rows ?? 0} rows`}, ${done.maskedValues ?? 0} masked, ${Math.round((done.event.duration ?? 0) / 1e4) / 100} ms`
        : r.enforced
          ? 'not executed'
          : skipped
            ? `not executed: ${skipped}`
            : 'no completion recorded';
      lines.push(
        `${String(++n).padStart(3)}. ${t}  ${verdict}  [${(r.effects ?? []).join(',')}]  ${r.db?.query?.text ?? `<${r.kind}>`}`,
      );
      lines.push(`      → ${outcome.trim()}`);
    } else if (r.event.action !== 'statement.completion') {
      lines.push(`     ${t}  ${r.event.action}${r.message ? `: ${r.message}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

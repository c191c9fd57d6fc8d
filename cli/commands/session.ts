/**
 * `agentgate session list|show`: sessions from the audit chain; `show` replays the session's recording
 * file (beside the audit log, or --recordings DIR) after checking every line against the chain, and
 * falls back to replaying the chain itself when there is no recording.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { recordingFile, verifyRecordings } from '../../proxy/audit/recordings.js';
import { parseRecord, type AuditRecord } from '../../proxy/audit/record.js';
import { listSessions, readRecords, renderSession } from '../../proxy/audit/sessions.js';

export const defaultRecordingsDir = (auditFile: string): string => join(dirname(auditFile), 'sessions');

export function runSessionList(files: string[]): number {
  for (const s of listSessions(readRecords(files))) {
    process.stdout.write(`${s.session}  ${s.opened ?? '?'}  ${s.principal?.sub ?? '?'}  ${s.target ?? '?'}  ${s.statements} statements, ${s.denied} denied\n`);
  }
  return 0;
}

export function runSessionShow(id: string, files: string[], recordingsDir = defaultRecordingsDir(files.at(-1)!)): number {
  const chain = readRecords(files);
  const file = recordingFile(recordingsDir, id);
  if (!existsSync(file)) {
    process.stdout.write(renderSession(chain, id));
    process.stdout.write(`(replayed from the audit chain: no recording at ${file})\n`);
    return 0;
  }
  const check = verifyRecordings(recordingsDir, chain, id);
  const recorded = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(parseRecord);
  process.stdout.write(renderSession(recorded, id));
  if (check.ok) {
    process.stdout.write(`(recording ${file}: ${check.lines} lines, every one in the audit chain)\n`);
    return 0;
  }
  process.stdout.write(`RECORDING DOES NOT MATCH THE AUDIT CHAIN:\n${check.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  return 1;
}

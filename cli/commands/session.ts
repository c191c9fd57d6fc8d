/**
 * `agentgate session list|show`: sessions from the audit chain; `show` replays the session's recording
 * file (the audit log's own directory under sessions/ beside it, or under --recordings DIR) after
 * checking every line against the chain, and falls back to replaying the chain itself when there is no
 * recording.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findRecordingsDir, recordingFile, verifyRecordings } from '../../proxy/audit/recordings.js';
import { parseRecord } from '../../proxy/audit/record.js';
import { listSessions, readRecords, renderSession } from '../../proxy/audit/sessions.js';

/** Where the recordings of the audit log `auditFile` are (its own directory under `root`, default sessions/ beside it). */
export const recordingsDirFor = (auditFile: string, root = join(dirname(auditFile), 'sessions')): string =>
  findRecordingsDir(root, auditFile);

export function runSessionList(files: string[]): number {
  for (const s of listSessions(readRecords(files))) {
    process.stdout.write(
      `${s.session}  ${s.opened ?? '?'}  ${s.principal?.sub ?? '?'}  ${s.target ?? '?'}  ${s.statements} statements, ${s.denied} denied\n`,
    );
  }
  return 0;
}

export function runSessionShow(id: string, files: string[], root?: string): number {
  const recordingsDir = recordingsDirFor(files.at(-1)!, root);
  const chain = readRecords(files);
  const file = recordingFile(recordingsDir, id);
  if (!existsSync(file)) {
    process.stdout.write(renderSession(chain, id));
    process.stdout.write(`(replayed from the audit chain: no recording at ${file})\n`);
    return 0;
  }
  const check = verifyRecordings(recordingsDir, chain, id);
  if (check.foreign) {
    process.stdout.write(
      `RECORDING ${file} IS NOT OF THIS AUDIT LOG: session ${id} is not in it, nor any line of the recording (another proxy's log?)\n`,
    );
    return 1;
  }
  const recorded = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(parseRecord);
  process.stdout.write(renderSession(recorded, id));
  if (check.ok) {
    process.stdout.write(`(recording ${file}: ${check.lines} lines, every one in the audit chain)\n`);
    for (const note of check.incomplete) process.stdout.write(`(incomplete after a crash, nothing altered: ${note})\n`);
    return 0;
  }
  process.stdout.write(
    `RECORDING DOES NOT MATCH THE AUDIT CHAIN:\n${check.problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  return 1;
}

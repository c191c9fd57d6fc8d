import { listSessions, readRecords, renderSession } from '../../proxy/audit/sessions.js';

export function runSessionList(files: string[]): number {
  for (const s of listSessions(readRecords(files))) {
    process.stdout.write(`${s.session}  ${s.opened ?? '?'}  ${s.principal?.sub ?? '?'}  ${s.target ?? '?'}  ${s.statements} statements, ${s.denied} denied\n`);
  }
  return 0;
}

export function runSessionShow(id: string, files: string[]): number {
  process.stdout.write(renderSession(readRecords(files), id));
  return 0;
}

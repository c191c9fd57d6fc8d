/**
 * `agentgate token exchange` as a pod runs it, for the e2e tests of run tokens: a person's token (the
 * subject) and the pod's own token (the actor, written to a file in `dir`) for a run token at the
 * operator. Resolves with the CLI's output; rejects, with its exit code and stderr, when it fails.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const run = promisify(execFile);

export function tokenExchange(o: {
  url: string;
  subject: string;
  actor: string;
  dir: string;
  caFile: string;
  /** The policy the run token is for (namespace/name), when the CLI is to name one. */
  resource?: string;
}): Promise<{ stdout: string; stderr: string }> {
  const actorFile = join(o.dir, `actor-${Math.random()}`);
  writeFileSync(actorFile, o.actor);
  return run(process.execPath, [
    BIN,
    'token',
    'exchange',
    '--url',
    o.url,
    '--subject-token',
    o.subject,
    '--actor-token-file',
    actorFile,
    '--ca',
    o.caFile,
    ...(o.resource ? ['--resource', o.resource] : []),
  ]);
}

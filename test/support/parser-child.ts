/**
 * Runs an ES module script in a fresh node process (through tsx) that imports the SQL parser from
 * `process.env.PARSER_URL` (and, to read its memory, test/bench/rss.ts from `RSS_URL`) and prints one `RESULT <json>` line: for what must start from an empty module
 * cache or measure a whole process. A file, not -e: the parse worker inherits the process' execArgv, and
 * --input-type would fail it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ParserChildRun<T> {
  result: T;
  stdout: string;
}

export function runParserChild<T>(
  script: string,
  o: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): ParserChildRun<T> {
  const dir = mkdtempSync(join(tmpdir(), 'parser-child-'));
  try {
    const file = join(dir, 'child.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', file], {
      env: {
        ...process.env,
        ...o.env,
        PARSER_URL: new URL('../../proxy/sql/parser.ts', import.meta.url).href,
        RSS_URL: new URL('../bench/rss.ts', import.meta.url).href,
      },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (r.status !== 0 || !line) throw new Error(`the child exited with ${r.status}\n${r.stdout}${r.stderr}`);
    return { result: JSON.parse(line.slice(7)) as T, stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

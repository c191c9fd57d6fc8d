/** Headless Chromium (Debian's package, installed by .ci/run): the report's DOM and a screenshot. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function renderInChromium(
  htmlFile: string,
  png: string,
): Promise<{ dom: string; pngBytes: number; isPng: boolean }> {
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chromium-'))}`,
  ];
  const url = `file://${htmlFile}`;
  const dom = await run('chromium', [...flags, '--dump-dom', url], { maxBuffer: 16 << 20 });
  await run('chromium', [...flags, '--window-size=1200,1600', `--screenshot=${png}`, url]);
  return {
    dom: dom.stdout,
    pngBytes: statSync(png).size,
    isPng: readFileSync(png).subarray(1, 4).toString() === 'PNG',
  };
}

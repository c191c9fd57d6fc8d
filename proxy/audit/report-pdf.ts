/**
 * The report as PDF, printed from report.html by headless Chromium (the print CSS in evidence.ts keeps
 * table headers on every page and rows whole). The page is self-contained; Chromium runs with a fresh
 * profile, no network services, and a time limit.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** AGENTGATE_CHROMIUM, else the first Chromium on PATH. */
export function findChromium(): string | undefined {
  if (process.env.AGENTGATE_CHROMIUM) return process.env.AGENTGATE_CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of CANDIDATES) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export async function printPdf(htmlFile: string, pdfFile: string, chromium: string, timeoutMs = 60_000): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'agentgate-chromium-'));
  try {
    const flags = [
      '--headless',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--disable-quic',
      `--user-data-dir=${profile}`,
      // Chromium's sandbox cannot start as root; elsewhere it stays on.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--no-pdf-header-footer',
      `--print-to-pdf=${pdfFile}`,
    ];
    await run(chromium, [...flags, pathToFileURL(htmlFile).href], { timeout: timeoutMs, maxBuffer: 4 << 20 });
    if (!existsSync(pdfFile) || readFileSync(pdfFile).subarray(0, 5).toString() !== '%PDF-')
      throw new Error(`${chromium} wrote no PDF`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * The process boundaries (docs/architecture.md): the operator and the sidecar share only `shared/`
 * (the contract and the Kubernetes toolkit), and `shared/` belongs to neither of them.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|js|mjs)$/.test(f) ? [p] : [];
  });
}

const specifiers = (src: string): string[] =>
  [...src.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);

/** Every module a file imports (static, dynamic and re-exports), as a path relative to the repository. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return specifiers(src)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(root, resolve(dirname(file), s)));
}

function crossings(from: string, forbidden: string[]): string[] {
  return sources(join(root, from)).flatMap((f) =>
    importsOf(f)
      .filter((target) => forbidden.some((d) => target === d || target.startsWith(`${d}/`)))
      .map((target) => `${relative(root, f)} → ${target}`),
  );
}

describe('gate12: module boundaries', () => {
  it('the import scanner sees static, type-only, dynamic and re-export imports', () => {
    const src = `import a from '../x/a.js';\nimport type { B } from "../x/b.js";\nexport { c } from './c.js';\nconst d = await import('../../y/d.js');\nimport './side.js';`;
    const specs = specifiers(src);
    expect(specs).to.deep.equal(['../x/a.js', '../x/b.js', './c.js', '../../y/d.js', './side.js']);
  });

  it('proxy/ never imports operator/', () => {
    expect(crossings('proxy', ['operator'])).to.deep.equal([]);
  });

  it('operator/ never imports proxy/', () => {
    expect(crossings('operator', ['proxy'])).to.deep.equal([]);
  });

  it('the gate knows no wire protocol: proxy/gate/ imports nothing from proxy/postgres/, proxy/http/ or proxy/mcp/', () => {
    expect(crossings('proxy/gate', ['proxy/postgres', 'proxy/http', 'proxy/mcp'])).to.deep.equal([]);
  });

  it('shared/ imports neither proxy/, operator/ nor cli/', () => {
    expect(crossings('shared', ['proxy', 'operator', 'cli'])).to.deep.equal([]);
  });
});

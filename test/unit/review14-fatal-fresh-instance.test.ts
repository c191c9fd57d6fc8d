/**
 * Review 14 (lazy parser load): "an in-process instance that fails fatally (WASM corruption) is dropped at
 * once so no later statement runs on it" — the statements after it run on "a fresh one". They do not:
 * import.meta.resolve('libpg-query') is wasm/index.cjs (the package's "main"; it has no "exports"), and
 * importing a CommonJS file under another URL (`index.cjs?instance=1`) gives a new namespace object over
 * the same require.cache entry: the same module-level WASM instance, the same linear memory. The
 * "fresh" instance is the corrupted one (this was already so with recycleInline before 1812a21, but the
 * change's safety claim rests on it).
 *
 * The trap is simulated (no short statement is known to trap libpg_query in process); what is checked is
 * that the instance loaded after it does not share the trapped one's functions. Fails at 1812a21.
 */
import { expect } from 'chai';
import { SqlParser } from '../../proxy/sql/parser.js';

type Inline = { parseSync(sql: string): unknown; loadModule(): Promise<void> };
// Node's global; this project's TypeScript lib has no WebAssembly declarations.
const { RuntimeError } = (globalThis as unknown as { WebAssembly: { RuntimeError: new (m: string) => Error } })
  .WebAssembly;

describe('review14: after a fatal parser failure, the next statement runs on a fresh WASM instance', () => {
  it('the instance loaded after the trap is not the trapped one', async () => {
    const parser = SqlParser.create();
    try {
      await parser.load();
      const priv = parser as unknown as { inline?: Inline };
      const trapped = priv.inline!;
      const trappedParse = trapped.parseSync;
      // The instance traps (as a WASM stack overflow would): WebAssembly.RuntimeError.
      priv.inline = {
        loadModule: () => trapped.loadModule(),
        parseSync: () => {
          throw new RuntimeError('unreachable');
        },
      };
      const refused = parser.parse('SELECT 1');
      expect(refused).to.not.be.instanceOf(Promise);
      expect((refused as { ok: boolean }).ok).to.equal(false);
      expect(priv.inline, 'dropped at once').to.equal(undefined);

      const next = parser.parse('SELECT 2');
      expect(next, 'the next statement waits for a fresh instance').to.be.instanceOf(Promise);
      expect((await next).ok).to.equal(true);
      expect(priv.inline).to.not.equal(undefined);
      expect(priv.inline!.parseSync === trappedParse, 'the new instance is the trapped one (same parseSync)').to.equal(
        false,
      );
    } finally {
      await parser.close();
    }
  });
});

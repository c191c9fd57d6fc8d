/**
 * The setup the server-side-code tests share: a policy that allows the functions a DBA vetted (by name), and
 * a raw wire client per test with a `query` that sends one simple Query and reads up to ReadyForQuery.
 */
import type { LocalStack, LocalStackOptions } from '../../proxy/local/stack.js';
import { fe, RawClient, type RawMessage } from './raw-client.js';

/** `editPolicy` for startLocalStack: a first rule allowing statements that call `functions`. */
export const allowFunctions =
  (functions: string[]): NonNullable<LocalStackOptions['editPolicy']> =>
  (p) =>
    void (p.spec.rules ??= []).unshift({ name: 'vetted-function', when: { sql: { functions } }, action: 'Allow' });

/** Registers a fresh raw client for each test of the enclosing suite; `query` waits `timeoutMs` for ReadyForQuery. */
export function rawPerTest(
  stack: () => LocalStack,
  { timeoutMs = 10_000 }: { timeoutMs?: number } = {},
): {
  raw: () => RawClient;
  query: (sql: string) => Promise<RawMessage[]>;
} {
  let client: RawClient | undefined;
  beforeEach(async () => {
    client = await RawClient.connect(stack().host, stack().port, await stack().token());
  });
  afterEach(() => client?.end());
  const raw = (): RawClient => client!;
  return {
    raw,
    query: async (sql) => {
      raw().send(fe.query(sql));
      return raw().until('Z', timeoutMs);
    },
  };
}

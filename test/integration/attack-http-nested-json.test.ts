/**
 * Review of HTTP targets (issue #12): a JSON document carried inside a JSON string (a config blob in a
 * record, kubectl's last-applied-configuration) is JSON to the agent that reads it; field rules must
 * reach inside it. json-server holds the records; they are written directly, read through the proxy.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { freePort, waitHttp } from '../support/http-tools.js';

const JSON_SERVER = new URL('../../node_modules/json-server/lib/cli/bin.js', import.meta.url).pathname;
const CARD = 'card-ref-77Qx';
const PW = 'pw-Hk29sLq';

describe('rev12: JSON inside JSON strings', function () {
  this.timeout(60_000);
  let js: ChildProcess;
  let s: HttpStack;
  let token: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rev12-nested-'));
    const settings = [
      {
        id: 1,
        name: 'billing',
        config: JSON.stringify({ db: { password: PW }, card_number: CARD }),
        plain: 'no json here',
        braces: '{not json',
      },
      { id: 2, name: 'deep', config: JSON.stringify({ inner: JSON.stringify({ password: PW }) }) },
    ];
    writeFileSync(join(dir, 'db.json'), JSON.stringify({ settings }));
    const port = await freePort();
    js = spawn(
      process.execPath,
      [JSON_SERVER, '--host', '127.0.0.1', '--port', String(port), '--quiet', join(dir, 'db.json')],
      { stdio: 'ignore' },
    );
    await waitHttp(`http://127.0.0.1:${port}/settings/1`);
    s = await startHttpStack({
      targets: [
        {
          name: 'cfg',
          protocol: 'http',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${port}` },
          maskFields: [{ path: 'password' }, { path: 'card_number' }],
        },
      ],
      defaultAction: 'Allow',
    });
    token = await s.token('agent-cfg');
  });

  after(async () => {
    await s?.stop();
    js?.kill();
  });

  const get = async (path: string): Promise<string> =>
    (await fetch(`${s.url('cfg')}${path}`, { headers: { authorization: `Bearer ${token}` } })).text();

  it('field rules apply inside a string that is a JSON document, at any nesting; other strings are left as they are', async () => {
    const text = await get('/settings');
    expect(text).not.to.contain(PW);
    expect(text).not.to.contain(CARD);
    const [one, two] = JSON.parse(text) as { config: string; plain?: string; braces?: string }[];
    expect(JSON.parse(one!.config)).to.deep.equal({
      db: { password: '[redacted:password]' },
      card_number: '[redacted:card_number]',
    });
    expect(one!.plain).to.equal('no json here');
    expect(one!.braces).to.equal('{not json');
    expect(JSON.parse(JSON.parse(two!.config).inner)).to.deep.equal({ password: '[redacted:password]' });
  });
});

/**
 * Who ran it and who asked for it: a person's OIDC token and the agent pod's service-account token are
 * exchanged at the operator (RFC 8693) for a run token; the proxy accepts it and audits both identities.
 * Real API server, real `kubectl create token`, the real `agentgate token exchange` CLI.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import * as jose from 'jose';
import { stringify } from 'yaml';
import { serviceAccountJwks } from '../../shared/kube/client.js';
import { Operator } from '../../operator/operator.js';
import { ensureDevKey, issueDevToken } from '../../proxy/identity/dev-issuer.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { tokenExchange } from './token-exchange.js';
import { loopbackWebhook } from './operator-options.js';

const NS = ns('e2e-runs');
const IDP = 'https://idp.example';

describe('run tokens: the triggering person and the agent (token exchange)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let proxy: GuardProxy;
  let dir: string;
  let caFile: string;
  let operatorUrl: string;

  const saToken = async (pod: string): Promise<string> => {
    const r = await c.kubectl([
      'create',
      'token',
      'billing-agent',
      '-n',
      NS,
      '--duration',
      '10m',
      '--audience',
      'agentgate',
      '--bound-object-kind',
      'Pod',
      '--bound-object-name',
      pod,
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const person = (o: { issuerDir?: string; issuer?: string; now?: number } = {}): Promise<string> =>
    issueDevToken({
      dir: o.issuerDir ?? join(dir, 'idp'),
      issuer: o.issuer ?? IDP,
      subject: 'alice@example.com',
      audience: 'agentgate-runs',
      ttlSeconds: 600,
      ...(o.now ? { now: o.now } : {}),
    });
  const exchange = async (subject: string, actor: string): Promise<{ code: number; token: string; stderr: string }> => {
    try {
      const r = await tokenExchange({ url: operatorUrl, subject, actor, dir, caFile });
      return { code: 0, token: r.stdout.trim(), stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stderr: string };
      return { code: err.code, token: '', stderr: err.stderr };
    }
  };
  const connect = async (password: string): Promise<pg.Client> => {
    const { host, port } = proxy.addresses()[0]!;
    const client = new pg.Client({ host, port, user: 'agent', database: 'billing', password });
    await client.connect();
    return client;
  };
  const refusal = async (password: string): Promise<string> =>
    connect(password).then(
      async (cl) => {
        await cl.end();
        return 'accepted';
      },
      (e: Error) => e.message,
    );

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    dir = mkdtempSync(join(tmpdir(), 'agentgate-runs-'));
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    for (const name of ['agent-pod', 'other-pod']) {
      await c.kubectl(['create', '-f', '-'], {
        input: stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: NS },
          spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
        }),
      });
    }
    const idpKey = await ensureDevKey(join(dir, 'idp'));
    op = new Operator({
      kc: c.kc,
      leaseNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        ...loopbackWebhook(NS),
        tokenExchange: {},
      },
    });
    await op.start();
    operatorUrl = `https://127.0.0.1:${op.operatorAddress!.port}`;
    const tls = JSON.parse(
      (await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', NS, '-o', 'json'])).stdout,
    );
    caFile = join(dir, 'operator-ca.crt');
    writeFileSync(caFile, Buffer.from(tls.data['ca.crt'], 'base64'));
    const clusterIssuer = JSON.parse(
      (await c.kubectl(['get', '--raw', '/.well-known/openid-configuration'])).stdout,
    ).issuer;

    stack = await startLocalStack();
    await stack.proxy.stop();
    const policy: AgentAccessPolicy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    policy.spec.subjects = { serviceAccounts: [{ name: 'billing-agent' }] };
    policy.spec.identity = {
      issuers: [
        { issuer: clusterIssuer, audiences: ['agentgate'], kubernetes: true },
        { issuer: operatorUrl, audiences: ['agentgate'], jwksUri: `${operatorUrl}/.well-known/jwks.json`, caFile },
      ],
      maxTokenLifetimeSeconds: 900,
      requireTriggeredBy: true,
      triggerIssuers: [{ issuer: IDP, audiences: ['agentgate-runs'], jwksFile: idpKey.jwksFile }],
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) })).code).to.equal(0);
    await eventually(
      'policy Ready',
      async () =>
        (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
    );
    proxy = await GuardProxy.start({
      policy,
      auditFile: join(dir, 'audit.log'),
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
      kubernetesJwks: serviceAccountJwks(c.kc) as never,
      pod: { name: 'agent-pod', namespace: NS },
      runTokenIssuer: operatorUrl,
    });
  });
  after(async () => {
    await proxy?.stop();
    await stack?.postgres.stop();
    await op?.stop();
  });

  let runToken = '';

  it("exchanges the person's token and the pod's token for a run token; both identities are in every audit record", async () => {
    const r = await exchange(await person(), await saToken('agent-pod'));
    expect(r.code, r.stderr).to.equal(0);
    runToken = r.token;
    const claims = jose.decodeJwt(runToken) as Record<string, any>;
    expect(claims).to.include({ iss: operatorUrl, sub: 'alice@example.com', triggered_by_iss: IDP });
    expect(claims.act.sub).to.equal(`system:serviceaccount:${NS}:billing-agent`);
    expect(claims.exp - claims.iat).to.be.at.most(900);
    const client = await connect(runToken);
    await client.query('SELECT count(*) FROM orders');
    await client.end();
    proxy.audit.flush();
    const recs = readFileSync(join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const d = recs.find((x) => x.event.action === 'statement.decision');
    expect(d.principal).to.deep.include({
      sub: `system:serviceaccount:${NS}:billing-agent`,
      triggeredBy: { iss: IDP, sub: 'alice@example.com' },
      runId: claims.run_id,
    });
    expect(d.principal.kubernetes).to.deep.equal({ namespace: NS, serviceAccount: 'billing-agent', pod: 'agent-pod' });
  });

  it("requireTriggeredBy: the agent's own token is not enough", async () => {
    expect(await refusal(await saToken('agent-pod'))).to.contain('requires a run token');
  });

  it('a run token whose actor is another pod is refused', async () => {
    const r = await exchange(await person(), await saToken('other-pod'));
    expect(r.code, r.stderr).to.equal(0);
    expect(await refusal(r.token)).to.contain(`belongs to pod ${NS}/other-pod`);
  });

  it('the exchange refuses an untrusted subject issuer, an expired (replayed) subject token and a forged actor', async () => {
    const untrusted = await exchange(
      await person({ issuerDir: join(dir, 'evil'), issuer: 'https://evil.example' }),
      await saToken('agent-pod'),
    );
    expect(untrusted.stderr).to.contain('invalid_grant').and.contain('not trusted');
    const expired = await exchange(
      await person({ now: Math.floor(Date.now() / 1000) - 3600 }),
      await saToken('agent-pod'),
    );
    expect(expired.stderr).to.contain('subject_token has expired');
    const forged = await exchange(
      await person(),
      await issueDevToken({
        dir: join(dir, 'evil'),
        issuer: 'https://kubernetes.default.svc',
        subject: 'system:serviceaccount:x:y',
        audience: 'agentgate',
        ttlSeconds: 600,
      }),
    );
    expect(forged.stderr).to.contain('actor_token');
  });

  it("rotating the operator's signing key refuses no valid token (overlap window)", async () => {
    const oldKid = jose.decodeProtectedHeader(runToken).kid;
    await op.runTokenKeys!.rotate();
    // Tokens signed with the old key keep working while it is in its overlap window.
    await (await connect(runToken)).end();
    const fresh = await exchange(await person(), await saToken('agent-pod'));
    expect(jose.decodeProtectedHeader(fresh.token).kid).to.not.equal(oldKid);
    // The proxy refetches keys for an unknown kid at most every 10 s (a flood of made-up kids must not
    // hammer the issuer); past that, the new key is picked up on first use.
    await new Promise((r) => setTimeout(r, 10_500));
    for (const t of [fresh.token, runToken]) await (await connect(t)).end();
  });
});

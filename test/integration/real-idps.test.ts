/**
 * People from IdPs nobody here wrote, end to end: oidc-provider issues alice's ID token through the
 * device-code login a person at a terminal does; samlify, acting as a SAML IdP, signs bob's and carol's
 * assertions. The real `agentgate token exchange` CLI trades each, with the agent pod's token, at the
 * operator's RFC 8693 router for a run token; the proxy accepts it in front of a real PostgreSQL, a rule
 * decides on the person's groups (`when.triggeredBy.groups`), an approval request names them, and the
 * audit record keeps who, from which IdP, in which groups.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import * as jose from 'jose';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { parseApprovalAsk } from '../../operator/approvals/ask.js';
import type { ApprovalAsk } from '../../shared/contract/approval-request.js';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { CLUSTER_ISSUER, startExchange, type ExchangeHarness } from '../support/exchange-harness.js';
import { startOidcIdp, type OidcTestIdp } from '../support/oidc-idp.js';
import { startSamlIdp, type SamlTestIdp } from '../support/saml-idp.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const SAML_IDP = 'https://idp.example/saml';
const SP = 'https://agentgate.example/sp';

describe('identities from real IdPs: OIDC device code and SAML, exchange to audit (saml15)', function () {
  this.timeout(120_000);
  let stack: LocalStack;
  let proxy: GuardProxy;
  let oidc: OidcTestIdp;
  let saml: SamlTestIdp;
  let ex: ExchangeHarness;
  let policy: AgentAccessPolicy;
  let auditFile: string;
  // Stands in for the operator's approvals: records what the proxy asks (mode Reject: nothing waits).
  const asks: ApprovalAsk[] = [];
  const broker: ApprovalBroker = {
    findGrant: () => undefined,
    request: async (ask) => (asks.push(ask), { namespace: 'agents', name: `apr-${asks.length}` }),
    waitFor: async () => ({ phase: 'Timeout' }),
    claim: () => false,
    markUsed: async () => undefined,
  };

  const cli = async (
    subject: string,
    type: 'id_token' | 'saml2',
  ): Promise<{ code: number; token: string; stderr: string }> => {
    const subjectFile = join(stack.dir, `subject-${Math.random()}`);
    const actorFile = join(stack.dir, `actor-${Math.random()}`);
    writeFileSync(subjectFile, subject);
    writeFileSync(actorFile, await ex.actorToken());
    try {
      const r = await run(process.execPath, [
        BIN,
        'token',
        'exchange',
        '--url',
        ex.url,
        '--subject-token-file',
        subjectFile,
        '--subject-token-type',
        type,
        '--actor-token-file',
        actorFile,
      ]);
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
  const decisions = (runId: string): Record<string, any>[] => {
    proxy.audit.flush();
    return readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.event.action === 'statement.decision' && r.principal?.runId === runId);
  };

  before(async function () {
    this.timeout(300_000);
    stack = await startLocalStack();
    await stack.proxy.stop();
    oidc = await startOidcIdp({ people: { alice: { email: 'alice@example.com', groups: ['dba', 'eng'] } } });
    ex = await startExchange({ policy: () => policy, dir: join(stack.dir, 'cluster') });
    saml = startSamlIdp({ entityId: SAML_IDP, spEntityId: SP, acsUrl: `${ex.url}/token` });
    const discovery = (await (await fetch(`${oidc.issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    policy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: 'agents' };
    policy.spec.subjects = { serviceAccounts: [{ name: 'billing-agent' }] };
    policy.spec.identity = {
      issuers: [
        { issuer: CLUSTER_ISSUER, audiences: ['agentgate'], kubernetes: true },
        { issuer: ex.url, audiences: ['agentgate'], jwksUri: `${ex.url}/.well-known/jwks.json` },
      ],
      maxTokenLifetimeSeconds: 900,
      requireTriggeredBy: true,
      triggerIssuers: [
        { issuer: oidc.issuer, audiences: [oidc.clientId], jwksUri: discovery.jwks_uri, groupsClaim: 'groups' },
        { issuer: SAML_IDP, audiences: [SP], saml: { certificates: [saml.certPem], groupsAttribute: 'groups' } },
      ],
    };
    policy.spec.rules = [
      {
        name: 'customer-deletes-need-approval',
        when: { sql: { tables: ['customers'], effects: ['write'] } },
        action: 'RequireApproval',
      },
      ...(policy.spec.rules ?? []),
      { name: 'dba-writes', when: { triggeredBy: { groups: ['dba'] }, sql: { effects: ['write'] } }, action: 'Allow' },
      {
        name: 'writes-need-dba',
        when: { sql: { effects: ['write'] } },
        action: 'Deny',
        message: 'only DBAs may trigger writes',
      },
    ];
    policy.spec.approval = {
      mode: 'Reject',
      timeoutSeconds: 60,
      approvers: { groups: ['sre'] },
      requiredApprovals: 1,
      retentionSeconds: 3600,
    };
    auditFile = join(stack.dir, 'saml15-audit.log');
    proxy = await GuardProxy.start({
      policy,
      auditFile,
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
      kubernetesJwks: ex.clusterJwks,
      pod: { name: 'agent-pod', namespace: 'agents', uid: 'uid-agent-pod' },
      runTokenIssuer: ex.url,
      approvals: broker,
    });
  });
  after(async () => {
    await proxy?.stop();
    await stack?.postgres.stop();
    await ex?.close();
    await oidc?.close();
  });

  it('OIDC: alice signs in with the device code, exchanges her ID token; her groups let the run write, and the audit keeps them', async () => {
    const idToken = await oidc.deviceLogin('alice');
    const r = await cli(idToken, 'id_token');
    expect(r.code, r.stderr).to.equal(0);
    const claims = jose.decodeJwt(r.token) as Record<string, any>;
    expect(claims).to.include({ sub: 'alice', triggered_by_iss: oidc.issuer, triggered_by_email: 'alice@example.com' });
    expect(claims.triggered_by_groups).to.deep.equal(['dba', 'eng']);
    const client = await connect(r.token);
    await client.query('UPDATE orders SET status = status WHERE id = 1');
    await client.end();
    const [d] = decisions(claims.run_id);
    expect(d!.decision).to.equal('Allow');
    expect(d!.rule.name).to.equal('dba-writes');
    expect(d!.principal.triggeredBy).to.deep.equal({
      iss: oidc.issuer,
      sub: 'alice',
      email: 'alice@example.com',
      groups: ['dba', 'eng'],
    });
  });

  it("SAML: bob's assertion (group eng) from samlify: reads run, the write is denied by the group rule; audit names bob, the IdP and his groups", async () => {
    const r = await cli(await saml.assertion({ nameId: 'bob@example.com', groups: ['eng'] }), 'saml2');
    expect(r.code, r.stderr).to.equal(0);
    const claims = jose.decodeJwt(r.token) as Record<string, any>;
    expect(claims).to.include({ sub: 'bob@example.com', triggered_by_iss: SAML_IDP });
    const client = await connect(r.token);
    await client.query('SELECT count(*) FROM orders');
    const denied = await client.query('UPDATE orders SET status = status WHERE id = 1').then(
      () => 'ran',
      (e: Error) => e.message,
    );
    expect(denied).to.contain('only DBAs may trigger writes');
    await client.end();
    const ds = decisions(claims.run_id);
    expect(ds.map((x) => x.decision)).to.deep.equal(['Allow', 'Deny']);
    expect(ds[1]!.principal.triggeredBy).to.deep.equal({
      iss: SAML_IDP,
      sub: 'bob@example.com',
      email: 'bob@example.com',
      groups: ['eng'],
    });
    expect(ds[1]!.principal.kubernetes).to.deep.include({
      namespace: 'agents',
      serviceAccount: 'billing-agent',
      pod: 'agent-pod',
    });
  });

  it("SAML: carol's assertion with group dba (the whole Response, as XML) lets the run write; replaying it is refused", async () => {
    const response = await saml.response(
      { nameId: 'carol@example.com', groups: ['dba'] },
      { assertion: true, response: true },
    );
    const r = await cli(response, 'saml2');
    expect(r.code, r.stderr).to.equal(0);
    const client = await connect(r.token);
    await client.query('UPDATE orders SET status = status WHERE id = 1');
    await client.end();
    const again = await cli(response, 'saml2');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain('invalid_grant').and.contain('already exchanged (replay)');
  });

  it("an approval request names the person with their groups, and the operator's reader keeps them", async () => {
    const r = await cli(await oidc.deviceLogin('alice'), 'id_token');
    expect(r.code, r.stderr).to.equal(0);
    const client = await connect(r.token);
    const refused = await client.query('DELETE FROM customers WHERE id = 999').then(
      () => 'ran',
      (e: Error) => e.message,
    );
    await client.end();
    expect(refused).to.contain('apr-');
    const ask = asks.at(-1)!;
    expect(ask.requester).to.deep.include({
      triggeredBy: 'alice',
      triggeredByIssuer: oidc.issuer,
      triggeredByEmail: 'alice@example.com',
      triggeredByGroups: ['dba', 'eng'],
    });
    expect(parseApprovalAsk(JSON.parse(JSON.stringify(ask))).requester.triggeredByGroups).to.deep.equal(['dba', 'eng']);
  });

  it('an ID token from the SAML-only issuer, or a SAML assertion signed by another IdP key, gets no run token', async () => {
    const evil = startSamlIdp({ entityId: SAML_IDP, spEntityId: SP, acsUrl: `${ex.url}/token` });
    const forged = await cli(await evil.assertion({ nameId: 'admin@example.com', groups: ['dba'] }), 'saml2');
    expect(forged.stderr).to.contain('invalid_grant').and.contain('does not verify');
    const asJwt = await cli(await saml.assertion(), 'id_token');
    expect(asJwt.stderr).to.contain('invalid_grant').and.contain('not trusted');
  });
});

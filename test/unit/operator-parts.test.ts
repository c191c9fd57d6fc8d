import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { issueWebhookPki, needsRenewal } from '../../operator/webhook/certificates.js';
import { WorkQueue } from '../../shared/kube/workqueue.js';
import { EventRecorder } from '../../shared/kube/events.js';
import { FakeClock } from '../support/fake-clock.js';

describe('operator parts', () => {
  describe('work queue', () => {
    it('deduplicates keys and retries failures with exponential backoff (injected clock)', async () => {
      const clock = new FakeClock();
      const runs: string[] = [];
      let fail = 2;
      const q = new WorkQueue(
        async (k) => {
          runs.push(`${k}@${clock.now()}`);
          if (k === 'b' && fail-- > 0) throw new Error('transient');
        },
        { clock, initialBackoffMs: 100 },
      );
      q.add('a');
      q.add('a');
      q.add('b');
      await new Promise((r) => setImmediate(r));
      expect(runs).to.deep.equal(['a@0', 'b@0']);
      await clock.advance(100);
      expect(runs).to.deep.equal(['a@0', 'b@0', 'b@100']);
      await clock.advance(150);
      expect(runs.length).to.equal(3);
      await clock.advance(50);
      expect(runs).to.deep.equal(['a@0', 'b@0', 'b@100', 'b@300']);
      await clock.advance(10_000);
      expect(runs.length).to.equal(4);
    });
  });

  describe('event recorder', () => {
    it('turns repeats into one series and sends at most one update per interval (a looping agent cannot flood)', async () => {
      const clock = new FakeClock();
      clock.t = Date.parse('2026-11-26T10:00:00Z');
      const calls: { op: string; count?: number }[] = [];
      // A stand-in for CoreV1Api: this unit test is about what the recorder sends, not the API server.
      const core = {
        createNamespacedEvent: async (r: { body: { count: number } }) =>
          void calls.push({ op: 'create', count: r.body.count }),
        patchNamespacedEvent: async (r: { body: { count: number } }) =>
          void calls.push({ op: 'patch', count: r.body.count }),
      };
      const rec = new EventRecorder(core as never, { clock, minIntervalMs: 10_000 });
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'agent', namespace: 'agents', uid: 'u1' } };
      for (let i = 0; i < 1000; i++) await rec.emit(pod, 'Warning', 'StatementDenied', 'bot: denied by rule "no-ddl"');
      expect(calls).to.deep.equal([{ op: 'create', count: 1 }]);
      await clock.advance(10_000);
      expect(calls).to.deep.equal([
        { op: 'create', count: 1 },
        { op: 'patch', count: 1000 },
      ]);
      await rec.emit(pod, 'Warning', 'StatementDenied', 'another message');
      expect(calls.length).to.equal(3);
    });
  });

  describe('webhook PKI', () => {
    it('issues a CA and a serving certificate that verifies for the requested names, and renews keeping the CA', async () => {
      const now = new Date();
      const pki = await issueWebhookPki({
        dnsNames: ['agentgate-webhook.agentgate-system.svc'],
        ipAddresses: ['127.0.0.1'],
        now,
        validDays: 90,
      });
      const ca = new X509Certificate(pki.caCert);
      const leaf = new X509Certificate(pki.cert);
      expect(leaf.verify(ca.publicKey)).to.equal(true);
      expect(leaf.checkHost('agentgate-webhook.agentgate-system.svc')).to.equal(
        'agentgate-webhook.agentgate-system.svc',
      );
      expect(leaf.checkIP('127.0.0.1')).to.equal('127.0.0.1');
      expect(() => tls.createSecureContext({ cert: pki.cert, key: pki.key })).to.not.throw();
      expect(needsRenewal(pki, now)).to.equal(false);
      expect(needsRenewal(pki, new Date(now.getTime() + 70 * 86_400_000))).to.equal(true);
      const renewed = await issueWebhookPki({ dnsNames: ['x'], ca: { cert: pki.caCert, key: pki.caKey } });
      expect(renewed.caCert).to.equal(pki.caCert);
      expect(new X509Certificate(renewed.cert).verify(ca.publicKey)).to.equal(true);
    });
  });
});

import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { issueWebhookPki, needsRenewal } from '../../operator/webhook/certificates.js';
import { WorkQueue, type Clock } from '../../operator/workqueue.js';

class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    due.forEach((x) => x.fn());
    await new Promise((r) => setImmediate(r));
  }
}

describe('operator parts', () => {
  describe('work queue', () => {
    it('deduplicates keys and retries failures with exponential backoff (injected clock)', async () => {
      const clock = new FakeClock();
      const runs: string[] = [];
      let fail = 2;
      const q = new WorkQueue(async (k) => {
        runs.push(`${k}@${clock.now()}`);
        if (k === 'b' && fail-- > 0) throw new Error('transient');
      }, { clock, initialBackoffMs: 100 });
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

  describe('webhook PKI', () => {
    it('issues a CA and a serving certificate that verifies for the requested names, and renews keeping the CA', async () => {
      const now = new Date();
      const pki = await issueWebhookPki({ dnsNames: ['agentgate-webhook.agentgate-system.svc'], ipAddresses: ['127.0.0.1'], now, validDays: 90 });
      const ca = new X509Certificate(pki.caCert);
      const leaf = new X509Certificate(pki.cert);
      expect(leaf.verify(ca.publicKey)).to.equal(true);
      expect(leaf.checkHost('agentgate-webhook.agentgate-system.svc')).to.equal('agentgate-webhook.agentgate-system.svc');
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

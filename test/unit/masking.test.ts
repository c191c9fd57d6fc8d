import { expect } from 'chai';
import { luhn } from '../../proxy/masking/detectors.js';
import { Masker, partial } from '../../proxy/masking/masker.js';

describe('masking', () => {
  const all = new Masker({
    detectors: ['creditCard', 'email', 'usSsn', 'iban', 'secret'],
    defaultStrategy: 'redact',
    patterns: [{ name: 'employee-id', regex: 'EMP-[0-9]{6}', strategy: 'partial' }],
  });

  it('card numbers only when Luhn passes, in plain, spaced and dashed forms', () => {
    expect(luhn('4111111111111111')).to.equal(true);
    expect(luhn('4111111111111112')).to.equal(false);
    expect(all.maskText('card 4111111111111111 ok').text).to.equal('card [redacted:creditCard] ok');
    expect(all.maskText('4111 1111 1111 1111').text).to.equal('[redacted:creditCard]');
    expect(all.maskText('5500-0000-0000-0004').text).to.equal('[redacted:creditCard]');
    expect(all.maskText('order 4111111111111112').count).to.equal(0);
    expect(all.maskText('id 12345678901234567890123').count).to.equal(0);
  });
  it('emails, SSNs, IBANs, secrets', () => {
    expect(all.maskText('mail ada@example.com.').text).to.equal('mail [redacted:email].');
    expect(all.maskText('ssn 123-45-6789').text).to.equal('ssn [redacted:usSsn]');
    expect(all.maskText('ssn 000-45-6789').count).to.equal(0);
    expect(all.maskText('IBAN GB82 WEST 1234 5698 7654 32').text).to.equal('IBAN [redacted:iban]');
    expect(all.maskText('IBAN GB82 WEST 1234 5698 7654 33').count).to.equal(0);
    expect(all.maskText('key sk_live_4eC39HqLyjWDarjtT1zdp7dc').text).to.equal('key [redacted:secret]');
    expect(all.maskText('AKIAIOSFODNN7EXAMPLE').text).to.equal('[redacted:secret]');
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXZhbHVl';
    expect(all.maskText(`token ${jwt}`).text).to.equal('token [redacted:secret]');
    expect(all.maskText('-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----').text).to.equal(
      '[redacted:secret]',
    );
  });
  it('user patterns run on RE2, with their own strategy', () => {
    expect(all.maskText('manager EMP-004211').text).to.equal('manager ***-**4211');
  });
  it('partial keeps the last four and the separators; hash is stable and keyed', () => {
    expect(partial('4111 1111 1111 1111')).to.equal('**** **** **** 1111');
    const h1 = new Masker({ detectors: ['email'], defaultStrategy: 'hash' }, { hashKey: Buffer.from('k1') });
    const h2 = new Masker({ detectors: ['email'], defaultStrategy: 'hash' }, { hashKey: Buffer.from('k2') });
    const a = h1.maskText('ada@example.com').text;
    expect(a).to.match(/^\[email:[A-Za-z0-9_-]{16}\]$/);
    expect(h1.maskText('ada@example.com').text).to.equal(a);
    expect(h2.maskText('ada@example.com').text).to.not.equal(a);
  });
  it('stays linear on adversarial input', () => {
    const evil = `${'a.'.repeat(200_000)}@`;
    const t0 = process.hrtime.bigint();
    all.maskText(evil);
    // not a timing threshold on the product: a guard that the scan terminates on 400 KB of near-matches
    expect(Number(process.hrtime.bigint() - t0) / 1e9).to.be.lessThan(30);
  });
  it('leaves text without findings untouched (same string)', () => {
    const s = 'nothing to see here';
    expect(all.maskText(s).text).to.equal(s);
    expect(all.maskText(s).count).to.equal(0);
  });
});

/**
 * Built-in detectors find a value wherever it sits: glued to letters or digits (`'42' || card`,
 * `'abc' || card`), several joined together (`string_agg(card, ' ')`), in either case (`lower(iban)`)
 * or cut short (`substr(private_key, 1, 200)`). What they cannot see are deliberate transforms
 * (`reverse()`, base64, arithmetic): column rules cover those.
 */
import { expect } from 'chai';
import { Masker } from '../../proxy/masking/masker.js';

describe('detectors: values next to letters or digits', () => {
  const m = new Masker({ detectors: ['creditCard', 'email', 'usSsn', 'iban', 'secret'], defaultStrategy: 'redact' });
  const mask = (s: string): string => m.maskText(s).text;
  /** No 13-or-more-digit run (spaces or dashes between digits allowed) survives masking. */
  const noCardDigits = (s: string): void => void expect(s.replace(/[ -]/g, '')).to.not.match(/\d{13}/);

  it('a card glued to digits (id || card) is found where an issuer-prefixed Luhn window exists', () => {
    for (const glued of [
      '424111111111111111',
      '4111111111111111' + '42',
      '7' + '5500000000000004' + '9',
      '12345' + '378282246310005',
    ]) {
      const out = mask(glued);
      expect(out, glued).to.include('[redacted:creditCard]');
      noCardDigits(out);
    }
  });

  it('a card glued to letters is found', () => {
    expect(mask('abc4111111111111111')).to.equal('abc[redacted:creditCard]');
    expect(mask('card:4111111111111111xyz')).to.equal('card:[redacted:creditCard]xyz');
    expect(mask('x4111 1111 1111 1111y')).to.equal('x[redacted:creditCard]y');
  });

  it('several cards joined by spaces or dashes (string_agg) are each found', () => {
    const joined = ['4111111111111111', '5500000000000004', '378282246310005', '6011111111111117'];
    for (const sep of [' ', '-']) {
      const r = m.maskText(joined.join(sep));
      noCardDigits(r.text);
      expect(r.count, sep).to.be.greaterThanOrEqual(1);
    }
    expect(mask(joined.slice(0, 2).join(' '))).to.equal('[redacted:creditCard] [redacted:creditCard]');
  });

  it('emails glued to text or digits', () => {
    expect(mask('contact:ada@example.com42')).to.equal('contact:[redacted:email]42');
    expect(mask('mailto:ada@example.co.uk!')).to.equal('mailto:[redacted:email]!');
    expect(mask('xxada@example.com')).to.equal('[redacted:email]');
  });

  it('SSNs glued to letters or digits', () => {
    expect(mask('ssn123-45-6789x')).to.equal('ssn[redacted:usSsn]x');
    expect(mask('9123-45-67890')).to.equal('9[redacted:usSsn]0');
    expect(mask('no 666-45-6789 or 123-00-6789')).to.equal('no 666-45-6789 or 123-00-6789');
  });

  it('IBANs glued to text, in either case, end where their country says', () => {
    expect(mask('IBANGB82WEST12345698765432xyz')).to.equal('IBAN[redacted:iban]xyz');
    expect(mask('iban gb82west12345698765432')).to.equal('iban [redacted:iban]');
    expect(mask('DE89370400440532013000 and more')).to.equal('[redacted:iban] and more');
    expect(mask('GB82WEST12345698765433')).to.equal('GB82WEST12345698765433'); // check digits wrong
  });

  it('secrets glued to letters, longer than usual, or cut short', () => {
    expect(mask('keysk_live_4eC39HqLyjWDarjtT1zdp7dc')).to.equal('key[redacted:secret]');
    expect(mask('AKIAIOSFODNN7EXAMPLE42')).to.equal('[redacted:secret]');
    expect(mask(`x${'ghp_'}${'a1'.repeat(40)}`)).to.equal('x[redacted:secret]');
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXZhbHVl';
    expect(mask(`abc${jwt}def`)).to.equal('abc[redacted:secret]');
    expect(mask('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1x2y3z\nabc')).to.equal('[redacted:secret]');
    // Kebab-case words after "sk-" are not a key: the body of a glued token must look random.
    expect(mask('desk-reservations-for-the-whole-team')).to.equal('desk-reservations-for-the-whole-team');
  });
});

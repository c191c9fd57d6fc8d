/** Review of HTTP targets (issue #12): how the proxy reads a request body for the rules, by its Content-Type. */
import { expect } from 'chai';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import { bodyReading, buildFacts } from '../../proxy/http/request-facts.js';

const facts = (contentType: string[] | undefined, body: Buffer | string, path = '/t'): ReturnType<typeof buildFacts> =>
  buildFacts(
    't',
    'POST',
    parseRequestPath(path),
    contentType ? { 'content-type': contentType } : {},
    Buffer.from(body),
  );

describe('rev12: HTTP request bodies read by their Content-Type', () => {
  it('an urlencoded form is parameters, never JSON; its fields join the query parameters', () => {
    const f = facts(
      ['Application/X-WWW-Form-Urlencoded; charset=UTF-8'],
      '{"amount":1,"m":"&amount=9"}',
      '/t?amount=2',
    );
    expect(f.json).to.equal('invalid');
    expect(f.query.get('amount')).to.deep.equal(['2', '9"}']);
    expect(f.paramsUnclear).to.equal(undefined);
  });

  it('a form in a charset other than UTF-8 (UTF-16 bytes a UTF-8 reading would misplace) makes parameters unclear', () => {
    const body = Buffer.concat([Buffer.from('amount=1&xx='), Buffer.from('&amount=999999', 'utf16le')]);
    expect(bodyReading(['application/x-www-form-urlencoded; charset=utf-16le'])).to.equal('opaque-form');
    expect(facts(['application/x-www-form-urlencoded; charset=utf-16le'], body).paramsUnclear).to.equal(true);
    expect(facts(['application/x-www-form-urlencoded; charset="utf-8"'], 'amount=1').paramsUnclear).to.equal(undefined);
  });

  it('JSON in a charset other than UTF-8 is not JSON for the rules; JSON without a type still is (Go decoders ignore it)', () => {
    expect(facts(['application/json; charset=utf-16'], Buffer.from('{"a":1}', 'utf16le')).json).to.equal('invalid');
    expect(facts(['application/json; charset=iso-8859-1'], '{"a":1}').json).to.equal('invalid');
    expect(facts(undefined, '{"a":1}').json).to.deep.equal({ value: { a: 1 } });
    expect(facts(['text/plain'], '{"a":1}').json).to.deep.equal({ value: { a: 1 } });
  });

  it('multipart, or two Content-Types, make parameters unclear and the body not JSON', () => {
    expect(facts(['multipart/form-data; boundary=x'], '--x\r\n').paramsUnclear).to.equal(true);
    const two = facts(['application/json', 'application/x-www-form-urlencoded'], '{"a":1}');
    expect(two.paramsUnclear).to.equal(true);
    expect(two.json).to.equal('invalid');
  });

  it('past 1000 parameters (empty pieces count, as in qs) parameters are unclear', () => {
    expect(facts(undefined, '', `/t?${'&'.repeat(1000)}a=1`).paramsUnclear).to.equal(true);
    expect(
      facts(undefined, '', `/t?${Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join('&')}`).paramsUnclear,
    ).to.equal(undefined);
    expect(
      facts(['application/x-www-form-urlencoded'], `${'&'.repeat(600)}a=1`, `/t?${'&'.repeat(600)}`).paramsUnclear,
    ).to.equal(true);
  });
});

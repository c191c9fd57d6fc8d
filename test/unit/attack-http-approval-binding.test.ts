/**
 * Review of HTTP targets (issue #12): the approval binding (sha256 of method, path and canonical body)
 * and the JSON facts the rules decide on. Two bodies an API reads differently must never share a hash
 * (an approval for one would run the other); a body the proxy cannot read exactly is never JSON.
 */
import { expect } from 'chai';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import { approvalBinding, buildFacts, parseJsonBody } from '../../proxy/http/request-facts.js';

const sha = (
  body: Buffer | string,
  headers: NodeJS.Dict<string[]> = { 'content-type': ['application/json'] },
): string => buildFacts('t', 'POST', parseRequestPath('/refunds'), headers, Buffer.from(body)).sha256;

describe('rev12: HTTP approval binding and JSON facts', () => {
  it('numbers are bound by their exact text: integers past 2^53 and decimals a double rounds are different requests', () => {
    expect(sha('{"amount":9007199254740993}')).not.to.equal(sha('{"amount":9007199254740992}'));
    expect(sha('{"id":12345678901234567890}')).not.to.equal(sha('{"id":12345678901234567891}'));
    expect(sha('{"amount":500.0000000000000001}')).not.to.equal(sha('{"amount":500}'));
    expect(sha('{"amount":-0}')).not.to.equal(sha('{"amount":0}'));
    // Key order, whitespace and string escapes still do not matter.
    expect(sha('{ "b": [1, 2.50], "a": "\\u0061" }')).to.equal(sha('{"a":"a","b":[1,2.50]}'));
  });

  it('a JSON body and a non-JSON body never share a hash (a JSON number and bytes whose base64 is the same text)', () => {
    const bytes = Buffer.from('1234', 'base64');
    expect(parseJsonBody(bytes)).to.equal('invalid');
    expect(sha(bytes)).not.to.equal(sha('1234'));
  });

  it('the same bytes as JSON and as a form are different requests', () => {
    const body = '{"amount":1}';
    expect(sha(body, { 'content-type': ['application/x-www-form-urlencoded'] })).not.to.equal(sha(body));
  });

  it('a body that is not exact UTF-8 (invalid bytes, a BOM) is not JSON: no two such bodies decode to the same value', () => {
    const a = Buffer.concat([Buffer.from('{"memo":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const b = Buffer.concat([Buffer.from('{"memo":"'), Buffer.from([0xfe]), Buffer.from('"}')]);
    expect(parseJsonBody(a)).to.equal('invalid');
    expect(sha(a)).not.to.equal(sha(b));
    expect(parseJsonBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]))).to.equal('invalid');
    expect(approvalBinding('POST', parseRequestPath('/x'), a, parseJsonBody(a))).not.to.equal(
      approvalBinding('POST', parseRequestPath('/x'), b, parseJsonBody(b)),
    );
  });

  it('rules still see numbers as numbers', () => {
    const f = buildFacts(
      't',
      'POST',
      parseRequestPath('/refunds'),
      { 'content-type': ['application/json'] },
      Buffer.from('{"amount":250}'),
    );
    expect(f.json).to.deep.equal({ value: { amount: 250 } });
  });
});

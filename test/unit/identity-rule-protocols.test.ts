/**
 * A refused identity is filed under the same review rule whichever protocol refused it: the HTTP and
 * MCP listeners word a missing token "no bearer token", the Postgres handshake "no token was presented".
 */
import { expect } from 'chai';
import { identityRule } from '../../proxy/audit/deviation-of.js';

describe('identity rules of deviations: the same refusal, the same rule on every protocol', () => {
  it('a missing token is malformed-token on Postgres, HTTP and MCP alike', () => {
    expect(identityRule('no token was presented as the password')).to.equal('malformed-token');
    expect(identityRule('no bearer token')).to.equal('malformed-token');
  });

  it('a token that is not a JWT is malformed-token too; other causes keep their rules', () => {
    expect(identityRule('the password is not a well-formed JWT')).to.equal('malformed-token');
    expect(identityRule('token audience "x" is not accepted')).to.equal('token-audience');
  });
});

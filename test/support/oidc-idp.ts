/**
 * A real OIDC provider for tests (oidc-provider, not ours) on 127.0.0.1, and the device-code login a
 * person at a terminal does (RFC 8628): the CLI asks for a device code, the person opens the
 * verification page, types the user code, signs in and consents; the CLI polls the token endpoint for
 * the ID token. The browser part is driven over HTTP through the provider's own pages and forms.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import Provider from 'oidc-provider';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface OidcTestIdp {
  issuer: string;
  clientId: string;
  /** A person signs in with the device-code flow; returns their ID token. */
  deviceLogin(login: string): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcIdp(o: {
  people: Record<string, { email?: string; groups?: string[] }>;
  clientId?: string;
}): Promise<OidcTestIdp> {
  const clientId = o.clientId ?? 'agentgate-cli';
  let handler: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test-idp-1' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        grant_types: [DEVICE_GRANT],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [jwk] },
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: true } },
    scopes: ['openid', 'email', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    // The ID token itself carries the scope's claims (email, groups): the token exchange reads only it.
    conformIdTokenClaims: false,
    cookies: { keys: ['agentgate-test-cookie-key'] },
    ttl: { DeviceCode: 600, Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    findAccount: async (_ctx: unknown, id: string) => {
      const person = o.people[id];
      if (!person) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          ...(person.email ? { email: person.email, email_verified: true } : {}),
          ...(person.groups ? { groups: person.groups } : {}),
        }),
      };
    },
  } as never);
  handler = provider.callback() as http.RequestListener;

  const deviceLogin = async (login: string): Promise<string> => {
    const form = (v: Record<string, string>): string => new URLSearchParams(v).toString();
    const dev = (await (
      await fetch(`${issuer}/device/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ client_id: clientId, scope: 'openid email groups' }),
      })
    ).json()) as { device_code: string; user_code: string; verification_uri: string; interval: number };
    if (!dev.device_code) throw new Error(`device authorization failed: ${JSON.stringify(dev)}`);
    await browse(dev.verification_uri, { user_code: dev.user_code, login, password: 'any' });
    const tok = (await (
      await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ grant_type: DEVICE_GRANT, device_code: dev.device_code, client_id: clientId }),
      })
    ).json()) as { id_token?: string; error?: string };
    if (!tok.id_token) throw new Error(`device token poll failed: ${JSON.stringify(tok)}`);
    return tok.id_token;
  };
  return { issuer, clientId, deviceLogin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A minimal browser: follows redirects with cookies, fills and submits each page's form until none is left. */
async function browse(start: string, fields: Record<string, string>): Promise<void> {
  const cookies = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}): Promise<{ url: string; body: string }> => {
    let current = url;
    let req = init;
    for (let hops = 0; hops < 20; hops++) {
      const res = await fetch(current, {
        ...req,
        redirect: 'manual',
        headers: {
          ...(req.headers as Record<string, string> | undefined),
          cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair!.indexOf('=');
        cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current).toString();
        req = {};
        continue;
      }
      return { url: current, body: await res.text() };
    }
    throw new Error('too many redirects');
  };
  let page = await send(start);
  for (let step = 0; step < 10; step++) {
    const formTag = /<form\b[^>]*>/i.exec(page.body);
    if (!formTag) return;
    const action = /action="([^"]*)"/i.exec(formTag[0])?.[1] ?? page.url;
    const values: Record<string, string> = {};
    for (const input of page.body.matchAll(/<input\b[^>]*>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[0])?.[1];
      if (!name) continue;
      values[name] = fields[name] ?? /value="([^"]*)"/i.exec(input[0])?.[1] ?? '';
    }
    page = await send(new URL(action.replace(/&amp;/g, '&'), page.url).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(values).toString(),
    });
  }
  throw new Error('the sign-in pages did not finish');
}

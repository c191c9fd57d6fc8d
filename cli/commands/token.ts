import { issueDevToken } from '../../proxy/identity/dev-issuer.js';

export async function runTokenIssue(o: {
  dir: string;
  issuer: string;
  subject: string;
  audience: string;
  ttlSeconds: number;
}): Promise<number> {
  const token = await issueDevToken(o);
  process.stdout.write(`${token}\n`);
  return 0;
}

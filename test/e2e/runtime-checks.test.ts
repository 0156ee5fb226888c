import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAuthRequired, checkCertificate, checkRateLimited } from '../../tools/deploy-plugin/src/step-kit/runtime-checks.ts';

const listen = (server: Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(String((server.address() as AddressInfo).port))));

// The runbook's post-deployment checks against servers on loopback: a certificate made by openssl
// that expires in 5 days, served over TLS; an endpoint without a rate limit; one without auth.
describe('runtime checks of verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-tls-'));
  const servers: Server[] = [];
  let tlsUrl: string;

  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '5',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const https = createHttps({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_q, r) => r.end('ok'));
    servers.push(https);
    tlsUrl = `https://127.0.0.1:${await listen(https)}`;
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails a certificate expiring inside the margin, with its date; passes it with a smaller margin', async () => {
    // The end date as the certificate itself says it (openssl wrote it), and a clock 4.5 days before it.
    const validTo = new Date(new X509Certificate(readFileSync(join(dir, 'cert.pem'))).validTo);
    const now = validTo.getTime() - 4.5 * 86_400_000;
    const caFile = join(dir, 'cert.pem');
    const problem = await checkCertificate(tlsUrl, { marginDays: 14, caFile }, now);
    const port = new URL(tlsUrl).port;
    expect(problem).toBe(
      `the certificate of 127.0.0.1:${port} expires on ${validTo.toISOString().slice(0, 10)}, in 4 days: within the 14-day margin`,
    );
    expect(await checkCertificate(tlsUrl, { marginDays: 3, caFile }, now)).toBeUndefined();
    expect(await checkCertificate(tlsUrl, { marginDays: 3, caFile }, validTo.getTime() + 1000)).toBe(
      `the certificate of 127.0.0.1:${port} expired on ${validTo.toISOString().slice(0, 10)}`,
    );
  });

  it('fails a certificate nobody vouches for', async () => {
    expect(await checkCertificate(tlsUrl, { marginDays: 0 })).toMatch(/^the certificate of 127\.0\.0\.1:\d+ is not trusted \(.*SELF_SIGNED/);
  });

  it('fails a missing 429 and a missing 401 with what was expected; passes when they come', async () => {
    let n = 0;
    const limited = createHttp((req, res) => {
      if (req.url === '/open') return res.end('ok');
      res.statusCode = req.url === '/v1/agents' && !req.headers.authorization ? 401 : ++n > 3 ? 429 : 200;
      res.end();
    });
    servers.push(limited);
    const base = `http://127.0.0.1:${await listen(limited)}`;
    expect(await checkRateLimited(base, { path: '/open', within: 5, headers: {} }, {})).toBe(
      'GET /open answered no 429 in 5 requests: rate limiting is not active',
    );
    expect(
      await checkRateLimited(base, { path: '/v1/agents', within: 5, headers: { authorization: 'Bearer ${TOKEN}' } }, { TOKEN: 't' }),
    ).toBeUndefined();
    expect(await checkAuthRequired(base, { path: '/open' })).toBe(
      'GET /open without credentials answered 200, expected 401: authentication is not enforced',
    );
    expect(await checkAuthRequired(base, { path: '/v1/agents' })).toBeUndefined();
  });
});

import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { z } from 'zod';
import { probe } from '../core/http.ts';
import { interpolateRecord } from '../core/interpolate.ts';

export const runtimeChecksSchema = z
  .strictObject({
    tls: z
      .strictObject({
        marginDays: z.int().min(0).default(14).describe('Fail when the certificate expires within this many days'),
        caFile: z.string().optional().describe('PEM of a private CA the certificate is issued by (default: the system trust)'),
      })
      .optional()
      .describe('For an https URL: the certificate is trusted and not about to expire'),
    rateLimited: z
      .strictObject({
        path: z.string().startsWith('/'),
        within: z.int().min(1).max(10_000).describe('A 429 must come within this many requests'),
        headers: z.record(z.string(), z.string()).default({}).describe('Values may use ${VAR}'),
      })
      .optional()
      .describe('Rate limiting is active: repeated requests get 429'),
    authRequired: z
      .strictObject({ path: z.string().startsWith('/') })
      .optional()
      .describe('Authentication is enforced: a request without credentials gets 401'),
  })
  .describe("The runbook's post-deployment checks, run once when verification begins");

export type RuntimeChecks = z.infer<typeof runtimeChecksSchema>;

const DAY = 86_400_000;

/** Pure: what is wrong with a served certificate, given whether it was trusted and when it ends. */
export function certificateProblem(
  host: string,
  cert: { authorized: boolean; authorizationError?: string; validTo: Date },
  now: number,
  marginDays: number,
): string | undefined {
  if (!cert.authorized) return `the certificate of ${host} is not trusted (${cert.authorizationError ?? 'unknown reason'})`;
  const left = cert.validTo.getTime() - now;
  const date = cert.validTo.toISOString().slice(0, 10);
  if (left <= 0) return `the certificate of ${host} expired on ${date}`;
  if (left < marginDays * DAY)
    return `the certificate of ${host} expires on ${date}, in ${Math.floor(left / DAY)} days: within the ${marginDays}-day margin`;
  return undefined;
}

/** Connects to an https URL and judges the certificate it presents. */
export function checkCertificate(url: string, o: NonNullable<RuntimeChecks['tls']>, now = Date.now()): Promise<string | undefined> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({
      host: u.hostname,
      port: Number(u.port || 443),
      servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname,
      ca: o.caFile ? readFileSync(o.caFile) : undefined,
      rejectUnauthorized: false,
      timeout: 5_000,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      socket.end();
      resolve(certificateProblem(u.host, { authorized: socket.authorized, authorizationError, validTo: new Date(cert.valid_to) }, now, o.marginDays));
    });
    socket.once('timeout', () => (socket.destroy(), resolve(`${u.host} did not complete a TLS handshake within 5 s`)));
    socket.once('error', (err) => resolve(`${u.host}: ${err.message}`));
  });
}

/** Rate limiting is active: a 429 within `within` requests. */
export async function checkRateLimited(
  base: string,
  o: NonNullable<RuntimeChecks['rateLimited']>,
  environ: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const headers = interpolateRecord(o.headers, environ, 'verify rateLimited header');
  for (let i = 1; i <= o.within; i++) {
    if ((await probe(`${base}${o.path}`, { headers })).status === 429) return undefined;
  }
  return `GET ${o.path} answered no 429 in ${o.within} requests: rate limiting is not active`;
}

/** Authentication is enforced: a request without credentials gets 401. */
export async function checkAuthRequired(base: string, o: NonNullable<RuntimeChecks['authRequired']>): Promise<string | undefined> {
  const { status } = await probe(`${base}${o.path}`);
  return status === 401 ? undefined : `GET ${o.path} without credentials answered ${status}, expected 401: authentication is not enforced`;
}

/** Every configured check against a service's URL; what failed, one line each. */
export async function runtimeProblems(base: string, o: RuntimeChecks, environ: NodeJS.ProcessEnv): Promise<string[]> {
  const problems = await Promise.all([
    o.tls && base.startsWith('https:') ? checkCertificate(base, o.tls) : undefined,
    o.authRequired ? checkAuthRequired(base, o.authRequired) : undefined,
    o.rateLimited ? checkRateLimited(base, o.rateLimited, environ) : undefined,
  ]);
  return problems.filter((p): p is string => p !== undefined);
}

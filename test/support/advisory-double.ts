import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A DOUBLE of the npm registry's bulk advisory endpoint (not the registry, not a recording), on a
 * free 127.0.0.1 port: what `npm audit --registry <url>` asks. It answers as the registry does
 * (https://github.com/npm/cli/blob/latest/workspaces/arborist/lib/audit-report.js):
 *
 *   POST /-/npm/v1/security/advisories/bulk   body {name: [versions]} (gzip-encoded by npm)
 *     200 {name: [{id, url, title, severity, vulnerable_versions, cwe, cvss}]} for the names it was
 *     told to advise on, {} otherwise
 *   anything else: 404 (npm then tells "no fix known", as for a package it cannot look up)
 */
export interface AdvisoryDouble {
  url: string;
  /** Advisories to answer from now on, by package name (none: a clean tree). */
  advise(advisories: PlantedAdvisory[]): void;
  /** The package names npm asked about in the last bulk request. */
  lastAsked(): string[];
  stop(): Promise<void>;
}

export interface PlantedAdvisory {
  id: number;
  name: string;
  severity: 'low' | 'moderate' | 'high' | 'critical';
  title: string;
  ghsa: string;
}

export async function startAdvisoryDouble(): Promise<AdvisoryDouble> {
  let planted: PlantedAdvisory[] = [];
  let asked: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/-/npm/v1/security/advisories/bulk')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as Record<string, string[]>;
      asked = Object.keys(body);
      const answer: Record<string, unknown[]> = {};
      for (const a of planted.filter((p) => p.name in body)) {
        (answer[a.name] ??= []).push({
          id: a.id,
          url: `https://github.com/advisories/${a.ghsa}`,
          title: a.title,
          severity: a.severity,
          vulnerable_versions: '>=0.0.0',
          cwe: [],
          cvss: { score: 7.5, vectorString: null },
        });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    advise: (a) => {
      planted = a;
    },
    lastAsked: () => asked,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

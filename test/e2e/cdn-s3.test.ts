import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { buildChangedFrontend } from '../support/frontend-builds.ts';
import { freePort } from '../support/ports.ts';
import { stopPid } from '../support/processes.ts';
import { startVersitygw, type S3Server } from '../support/s3-servers.ts';
import { TestDeployment } from '../support/workspace.ts';

interface Seen {
  method: string;
  key: string;
  copy: boolean;
}

// The frontend on a real S3 server (versitygw) through the AWS SDK, the bucket readable by
// anyone as a CDN origin is: every object's Cache-Control and Content-Type, the order the
// requests arrive in (seen by a pass-through proxy: every upload before the first entry point
// switches, index.html last), Chromium rendering the page from the bucket and calling the
// api-server deployed first, nothing uploaded for an unchanged build, and a missing bucket,
// wrong credentials and a budget exceeded each refused with the serving release untouched.
describe('deploy-cdn to an S3-compatible bucket (versitygw)', () => {
  let s3: S3Server;
  let proxy: FaultProxy;
  let deployment: TestDeployment;
  let client: S3Client;
  let page: string;
  const seen: Seen[] = [];
  const BUCKET = 'pod-site';

  beforeAll(async () => {
    s3 = await startVersitygw();
    client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${BUCKET}/*`] }],
    };
    await client.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));
    proxy = await startFaultProxy({
      target: s3.endpoint,
      failureRate: 0,
      seed: 1,
      preserveHost: true, // the SDK signs the Host it sends to
      observe: (r) => {
        const key = decodeURIComponent(new URL(r.url, 'http://x').pathname).replace(`/${BUCKET}/web/`, '');
        seen.push({ method: r.method, key, copy: r.headers['x-amz-copy-source'] !== undefined });
      },
    });
    page = `${s3.endpoint}/${BUCKET}/web/index.html`;
    const [api, mcp] = [await freePort(), await freePort()];
    const site = { provider: 's3', bucket: BUCKET, prefix: 'web', endpoint: proxy.url, forcePathStyle: true, url: page };
    const keys = { accessKeyIdVariable: 'CDN_KEY', secretAccessKeyVariable: 'CDN_SECRET' };
    deployment = new TestDeployment({
      edge: {
        runtime: 'process',
        services: {
          'api-server': { url: `http://127.0.0.1:${api}`, healthPath: '/health' },
          'mcp-server': { url: `http://127.0.0.1:${mcp}`, healthPath: '/health' },
        },
        cdn: { frontend: { ...site, ...keys } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      },
      'edge-no-bucket': {
        runtime: 'container',
        services: { 'api-server': { url: `http://127.0.0.1:${api}` } },
        cdn: { frontend: { ...site, ...keys, bucket: 'no-such-site' } },
      },
      'edge-no-api': { runtime: 'container', cdn: { frontend: { ...site, ...keys } } },
    });
  }, 60_000);
  afterAll(async () => {
    for (const project of ['api-server', 'mcp-server']) await stopPid(deployment?.servicePid('edge', project));
    await deployment?.cleanup();
    client?.destroy();
    await proxy?.stop();
    await s3?.stop();
  });

  const vars = () => ({ CDN_KEY: s3.accessKeyId, CDN_SECRET: s3.secretAccessKey });
  const manifest = () => {
    const dir = join(deployment.stateDir, 'cdn', 'edge', 'frontend');
    const { current } = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    return JSON.parse(readFileSync(join(dir, 'releases', `${current}.json`), 'utf8')) as {
      id: string;
      files: { path: string; type: string; immutable: boolean }[];
    };
  };
  const deployCdn = (env: string, extraVars: Record<string, string>, ...args: string[]) =>
    deployment.run(['nx', 'run', `frontend:deploy-cdn:${env}`, '--excludeTaskDependencies', '--output-style=static', ...args], {
      ...vars(),
      ...extraVars,
    });

  it('uploads every asset before the first entry point switches, with the right headers; Chromium renders the page from the bucket', async () => {
    const res = await deployment.run(['nx', 'run-many', '-t', 'deploy', '-c', 'edge', '--output-style=static'], vars());
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/release [0-9a-f]{12}: 5 files, 5 uploaded .*, 0 already stored; 2 entry points switched/);
    expect(res.all).toContain('page rendered in Chromium (#health dl.facts)');
    expect(res.all).not.toContain(s3.secretAccessKey);

    const m = manifest();
    for (const f of m.files) {
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `web/${f.path}` }));
      expect([f.path, head.ContentType, head.CacheControl]).toEqual([
        f.path,
        f.type,
        f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ]);
    }
    const config = await (await fetch(`${s3.endpoint}/${BUCKET}/web/config.json`)).json();
    expect(config).toEqual({ apiBaseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), environment: 'edge' });

    const writes = seen.filter((r) => r.method === 'PUT');
    const uploads = writes.filter((w) => !w.copy);
    const switches = writes.filter((w) => w.copy);
    expect(uploads.map((u) => u.key).sort()).toEqual(
      [
        ...m.files.filter((f) => f.immutable).map((f) => f.path),
        ...m.files.filter((f) => !f.immutable).map((f) => `_releases/${m.id}/${f.path}`),
      ].sort(),
    );
    expect(switches.map((s) => s.key)).toEqual(['config.json', 'index.html']);
    expect(writes.findIndex((w) => w.copy)).toBe(uploads.length); // no upload after the first switch
    // A missing asset is the store's 404, never index.html.
    expect((await fetch(`${s3.endpoint}/${BUCKET}/web/assets/index-nothere.js`)).status).toBe(404);
  });

  it('redeploys an unchanged build with no upload and no switch', async () => {
    seen.length = 0;
    const res = await deployCdn('edge', {});
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/5 files, 0 uploaded \(0 B\), 5 already stored; 0 entry points switched/);
    expect(seen.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('switches a new build in with its new files only, and rolls back by copying the old entry points back, in under a second', async () => {
    const before = { id: manifest().id, html: await (await fetch(page)).text() };
    const buildB = await buildChangedFrontend('Nothing here yet.');
    try {
      const deployB = await deployCdn('edge', {}, `--outputPath=${buildB}`);
      expect(deployB.exitCode, deployB.all as string).toBe(0);
      expect(deployB.all).toMatch(/5 files, 4 uploaded .*, 1 already stored; 1 entry points switched/); // 2 chunks, index.html's copy, and the CSS is the same
      expect(await (await fetch(page)).text()).not.toBe(before.html);
      const oldChunk = /agents-panel-[\w-]+\.js/.exec(
        await (await fetch(`${s3.endpoint}/${BUCKET}/web/${/assets\/index-[\w-]+\.js/.exec(before.html)![0]}`)).text(),
      )![0];
      expect((await fetch(`${s3.endpoint}/${BUCKET}/web/assets/${oldChunk}`)).status).toBe(200); // open tabs of the old release
      seen.length = 0;
      const rollback = await deployment.run(['nx-deploy', 'rollback', 'frontend', '--env', 'edge'], vars());
      expect(rollback.exitCode, rollback.all as string).toBe(0);
      expect(Number(/rolled back to release [0-9a-f]{12} in ([\d.]+) s/.exec(rollback.all as string)![1])).toBeLessThan(1);
      expect(seen.filter((r) => r.method === 'PUT').map((r) => [r.key, r.copy])).toEqual([['index.html', true]]);
      expect(await (await fetch(page)).text()).toBe(before.html);
      expect(manifest().id).toBe(before.id);
    } finally {
      rmSync(buildB, { recursive: true, force: true });
    }
  });

  it('refuses a bucket that does not exist, wrong credentials and a build over budget, before anything changes', async () => {
    const objects = async () => (await client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents?.map((o) => `${o.Key} ${o.ETag}`).sort();
    const before = await objects();
    const html = await (await fetch(page)).text();

    const noBucket = await deployCdn('edge-no-bucket', {});
    expect(noBucket.exitCode).not.toBe(0);
    expect(noBucket.all).toContain(
      'bucket no-such-site does not exist; create it, or fix environments.edge-no-bucket.cdn.frontend.bucket in deploy.json; nothing was run',
    );

    const noApi = await deployCdn('edge-no-api', {});
    expect(noApi.all).toContain(
      'config.apiBaseUrl uses ${NX_DEPLOY_SERVICE_URL_API_SERVER}, but the environment variable NX_DEPLOY_SERVICE_URL_API_SERVER is not set: edge-no-api declares no such service or site',
    );

    const badKey = await deployCdn('edge', { CDN_SECRET: 'not-the-secret-77aa' });
    expect(badKey.exitCode).not.toBe(0);
    expect(badKey.all).toContain('refused the credentials (CDN_KEY / CDN_SECRET) while checking the bucket');
    expect(badKey.all).not.toContain('not-the-secret-77aa');

    const unset = await deployCdn('edge', { CDN_SECRET: '' });
    expect(unset.all).toContain('reads its credentials from CDN_SECRET (deploy.json), which is not set; nothing was run');

    const over = await deployCdn('edge', {}, '--budget.maxTotalSize=10kB');
    expect(over.exitCode).not.toBe(0);
    expect(over.all).toMatch(/the build is over its budget .*:\n.* [\d.]+ kB in total, over the limit of 10\.0 kB/);

    expect(await objects()).toEqual(before);
    expect(await (await fetch(page)).text()).toBe(html);
  });
});

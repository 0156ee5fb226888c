import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFiles } from '../src/cdn/build-files.ts';
import { overBudget, parseSize } from '../src/cdn/budget.ts';
import { invalidationInput } from '../src/cdn/cloudfront.ts';
import { contentTypeOf } from '../src/cdn/content-types.ts';
import { changedAssets, entryOrder, fileOf, releaseId, type ReleaseFile } from '../src/cdn/manifest.ts';
import { onlyIn } from '../src/cdn/provider.ts';
import { releaseProblems } from '../src/cdn/publish.ts';
import { referencedPaths } from '../src/cdn/references.ts';
import { retention, rollbackTarget, switched, type ReleaseIndex } from '../src/cdn/retention.ts';
import { siteOf, siteOrigins } from '../src/config/cdn.ts';
import { deployVariables, variableSuffix } from '../src/config/deploy-variables.ts';
import { environmentSchema } from '../src/config/environments.ts';

const file = (path: string, content: string, immutable = path.startsWith('assets/')): ReleaseFile =>
  fileOf(path, Buffer.from(content), contentTypeOf(path), immutable);
const site = (files: ReleaseFile[]) => files.map((f) => ({ ...f, body: () => Buffer.from('') }));

describe('release manifests', () => {
  it('types web files with their charset, and anything else as octet-stream', () => {
    expect(contentTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('assets/a-1.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('app.webmanifest')).toBe('application/manifest+json; charset=utf-8');
    expect(contentTypeOf('font.woff2')).toBe('font/woff2');
    expect(contentTypeOf('blob.bin')).toBe('application/octet-stream');
    expect(contentTypeOf('LICENSE')).toBe('application/octet-stream');
  });

  it('names a release by its content: the same files in any order are the same release, one byte changes it', () => {
    const a = [file('index.html', '<p>1'), file('assets/a-1.js', 'x')];
    expect(releaseId(a)).toBe(releaseId([...a].reverse()));
    expect(releaseId(a)).toMatch(/^[0-9a-f]{12}$/);
    expect(releaseId([file('index.html', '<p>2'), a[1]!])).not.toBe(releaseId(a));
    expect(releaseId([file('index.html', '<p>1', true), a[1]!])).not.toBe(releaseId(a));
  });

  it('switches entry points last: other files, then HTML pages, then the root index.html; never an asset', () => {
    const files = [file('index.html', ''), file('assets/a.js', ''), file('about/index.html', ''), file('config.json', ''), file('sw.js', '')];
    expect(entryOrder(files).map((f) => f.path)).toEqual(['config.json', 'sw.js', 'about/index.html', 'index.html']);
  });

  it('refuses an asset whose content changed under a name an earlier release stored, not an entry point', () => {
    const earlier = { id: 'r1', files: [file('assets/logo.png', 'old'), file('index.html', 'old'), file('assets/same.js', 's')] };
    const now = [file('assets/logo.png', 'new'), file('index.html', 'new'), file('assets/same.js', 's'), file('assets/new.js', 'n')];
    expect(changedAssets(now, [earlier])).toEqual([{ path: 'assets/logo.png', release: 'r1' }]);
  });

  it('finds the files an HTML page loads, relative or rooted, and ignores other sites, data: and fragments', () => {
    const html = `<script type="module" src="./assets/index-1.js"></script><link rel="stylesheet" href="/assets/i.css?v=2">
      <link rel="icon" href="data:,"><a href="https://example.com/x.js">x</a><img src='img/a b.png'><a href="#top">t</a>
      <link rel="modulepreload" href="//cdn.example.com/y.js"><a href="../escape.js">e</a>`;
    expect(referencedPaths(html, 'index.html').sort()).toEqual(['assets/i.css', 'assets/index-1.js', 'img/a b.png']);
    expect(referencedPaths('<script src="../assets/x.js"></script>', 'docs/page.html')).toEqual(['assets/x.js']);
  });

  it('says which entry point loads a file the build lacks, before anything is uploaded', () => {
    const files = site([file('index.html', '')]);
    files[0]!.body = () => Buffer.from('<script src="./assets/gone-1.js"></script>');
    expect(releaseProblems(files, [], ['assets/**'])).toEqual(['index.html loads assets/gone-1.js, which the build output does not have']);
  });
});

describe('budget', () => {
  it('reads sizes for people', () => {
    expect(parseSize('500kB', 'x')).toBe(500_000);
    expect(parseSize('1.5 MiB', 'x')).toBe(1_572_864);
    expect(parseSize(42, 'x')).toBe(42);
    expect(() => parseSize('big', 'budget.maxFileSize')).toThrow(
      "budget.maxFileSize must be a size such as 500kB, 2MB or a number of bytes; got 'big'",
    );
  });

  it('reports every excess, the largest file first; a build at its limits passes', () => {
    const files = [file('a.js', 'x'.repeat(10)), file('b.js', 'x'.repeat(30)), file('c.js', 'x'.repeat(20))];
    expect(overBudget(files, { maxFiles: 3, maxTotalBytes: 60, maxFileBytes: 30 })).toEqual([]);
    expect(overBudget(files, { maxFiles: 2, maxTotalBytes: 59, maxFileBytes: 15 })).toEqual([
      '3 files, over the limit of 2',
      '60 B in total, over the limit of 59 B',
      'b.js is 30 B, over the per-file limit of 15 B',
      'c.js is 20 B, over the per-file limit of 15 B',
    ]);
  });
});

describe('retention and rollback targets', () => {
  const at = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min)).toISOString();
  const meta = { version: '1.0.0', gitSha: 'abc', deployId: 'd', files: 1, bytes: 1 };
  let index: ReleaseIndex = { releases: [] };
  index = switched(index, { id: 'a', ...meta }, at(0));
  index = switched(index, { id: 'b', ...meta }, at(10));
  index = switched(index, { id: 'c', ...meta }, at(20));

  it('retires the release a switch replaces, and re-serving one keeps its first creation', () => {
    expect(index.current).toBe('c');
    expect(index.releases.map((r) => [r.id, r.retiredAt])).toEqual([
      ['a', at(10)],
      ['b', at(20)],
      ['c', undefined],
    ]);
    const again = switched(index, { id: 'a', ...meta }, at(30));
    const a = again.releases.find((r) => r.id === 'a')!;
    expect([a.createdAt, a.servedAt, a.retiredAt]).toEqual([at(0), at(30), undefined]);
    expect(again.releases.find((r) => r.id === 'c')?.retiredAt).toBe(at(30));
  });

  it('keeps the serving release, the last N served, and any retired within the grace period (boundary: exactly grace is expired)', () => {
    const now = Date.parse(at(30));
    expect(retention(index, now, 1, 0)).toEqual({ kept: ['c'], expired: ['a', 'b'] });
    expect(retention(index, now, 2, 0)).toEqual({ kept: ['b', 'c'], expired: ['a'] });
    expect(retention(index, now, 1, 10 * 60_000 + 1)).toEqual({ kept: ['b', 'c'], expired: ['a'] });
    expect(retention(index, now, 1, 10 * 60_000)).toEqual({ kept: ['c'], expired: ['a', 'b'] });
    const pruned = { ...index, releases: index.releases.map((r) => (r.id === 'a' ? { ...r, pruned: true } : r)) };
    expect(retention(pruned, now, 5, 0)).toEqual({ kept: ['b', 'c'], expired: [] });
  });

  it('rolls back to the release served before, or the one named by a unique prefix; refuses the serving one and unknown ids', () => {
    expect(rollbackTarget(index, undefined).entry?.id).toBe('b');
    expect(rollbackTarget({ ...index, releases: index.releases.map((r) => (r.id === 'b' ? { ...r, pruned: true } : r)) }, undefined).entry?.id).toBe(
      'a',
    );
    expect(rollbackTarget(index, 'a').entry?.id).toBe('a');
    expect(rollbackTarget(index, 'c').problem).toBe('release c already serves');
    expect(rollbackTarget(index, 'zz').problem).toMatch(/^no release zz; the releases are a \(1.0.0\), b \(1.0.0\), c \(1.0.0, serving\)$/);
    expect(rollbackTarget({ releases: [] }, undefined).problem).toBe('there is no earlier release to go back to (none yet)');
    const twins = switched(switched({ releases: [] }, { id: 'ab1', ...meta }, at(0)), { id: 'ab2', ...meta }, at(1));
    expect(rollbackTarget(twins, 'ab').problem).toBe('ab matches ab1, ab2: give more of the id');
  });

  it('prunes only what no kept release holds, by path', () => {
    const old = { id: 'o', files: [file('assets/old.js', 'o'), file('assets/both.js', 'b'), file('index.html', '1'), file('gone.html', 'g')] };
    const kept = { id: 'k', files: [file('assets/both.js', 'b'), file('index.html', '2')] };
    expect(onlyIn([old], [kept]).map((f) => f.path)).toEqual(['assets/old.js', 'gone.html']);
  });
});

describe('sites and deploy variables', () => {
  const env = (raw: unknown) => environmentSchema.parse(raw);

  it('publishes a frontend of a local environment to a folder on 127.0.0.1:4200, and asks for a site elsewhere', () => {
    expect(siteOf(env({ runtime: 'process' }), 'development', 'web')).toMatchObject({
      provider: 'fs',
      url: 'http://127.0.0.1:4200',
      keepReleases: 5,
      grace: '24h',
    });
    expect(() => siteOf(env({ runtime: 'container' }), 'staging', 'web')).toThrow(
      'web: no CDN site for staging. Add environments.staging.cdn.web to deploy.json',
    );
  });

  it('gives templates the environment, each service URL, each site URL and the origins an API must allow', () => {
    const e = env({
      runtime: 'container',
      services: { 'api-server': { url: 'http://127.0.0.1:3200/' } },
      cdn: {
        '@demo/web': { provider: 's3', bucket: 'site', url: 'https://cdn.example.com/app/index.html' },
        admin: { provider: 'fs', url: 'http://127.0.0.1:4300' },
      },
    });
    expect(variableSuffix('@demo/web')).toBe('DEMO_WEB');
    expect(deployVariables('staging', e)).toEqual({
      NX_DEPLOY_ENV: 'staging',
      NX_DEPLOY_CDN_ORIGINS: 'https://cdn.example.com,http://127.0.0.1:4300',
      NX_DEPLOY_SERVICE_URL_API_SERVER: 'http://127.0.0.1:3200',
      NX_DEPLOY_CDN_URL_DEMO_WEB: 'https://cdn.example.com/app/index.html',
      NX_DEPLOY_CDN_URL_ADMIN: 'http://127.0.0.1:4300',
    });
    expect(siteOrigins(env({ runtime: 'process' }))).toEqual(['http://127.0.0.1:4200']);
    expect(siteOrigins(env({ runtime: 'kubernetes' }))).toEqual([]);
  });

  it('refuses half-given S3 credentials and a retention of no release', () => {
    expect(() => env({ cdn: { web: { provider: 's3', bucket: 'site', url: 'https://x.example', accessKeyIdVariable: 'K' } } })).toThrow(
      /set both accessKeyIdVariable and secretAccessKeyVariable/,
    );
    expect(() => env({ cdn: { web: { provider: 'fs', keepReleases: 0 } } })).toThrow();
    expect(() => env({ cdn: { web: { provider: 'fs', grace: 'a day' } } })).toThrow(/expected a duration such as '24h'/);
  });
});

describe('CloudFront invalidation', () => {
  it('invalidates the changed entry points and the folder an index.html is served under, never assets', () => {
    expect(invalidationInput('E123', ['/index.html', '/app/index.html', '/config.json', '/a b.html'], 'r1', 7)).toEqual({
      DistributionId: 'E123',
      InvalidationBatch: {
        CallerReference: 'nx-deploy-r1-7',
        Paths: { Quantity: 6, Items: ['/index.html', '/', '/app/index.html', '/app/', '/config.json', '/a%20b.html'] },
      },
    });
  });
});

describe('build output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-build-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('follows links inside the output, leaves out links that lead outside it or nowhere, and adds the generated config', () => {
    const out = join(dir, 'dist');
    mkdirSync(join(out, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'secret.txt'), 'do not publish');
    writeFileSync(join(out, 'index.html'), '<p>');
    writeFileSync(join(out, 'config.json'), '{"from":"build"}');
    writeFileSync(join(out, 'assets', 'a-1.js'), 'a');
    symlinkSync(join(dir, 'secret.txt'), join(out, 'secret.txt'));
    symlinkSync(join(dir, 'nothing'), join(out, 'dangling.js'));
    symlinkSync('a-1.js', join(out, 'assets', 'alias.js'));
    symlinkSync('..', join(out, 'assets', 'up'));
    const { files, skipped } = buildFiles(out, { immutable: ['assets/**'], generated: { 'config.json': '{"env":"x"}' } });
    expect(files.map((f) => [f.path, f.immutable]).sort()).toEqual([
      ['assets/a-1.js', true],
      ['assets/alias.js', true],
      ['config.json', false],
      ['index.html', false],
    ]);
    expect(
      files
        .find((f) => f.path === 'config.json')!
        .body()
        .toString(),
    ).toBe('{"env":"x"}');
    expect(skipped).toEqual([
      { path: 'dangling.js', why: 'a symbolic link to nothing' },
      { path: 'secret.txt', why: `a symbolic link out of the build output (to ${join(dir, 'secret.txt')})` },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SiteReleases } from '../src/cdn/releases.ts';
import { FileBlobs } from '../src/store/file/blobs.ts';

// What a site's index and manifests say comes back from the state store: planted ids and paths
// (anyone with write access to the store) are refused before they become folder or object names.
describe("a site's releases read back from the state store", () => {
  const store = (objects: Record<string, unknown>) => {
    const blobs = new FileBlobs(mkdtempSync(join(tmpdir(), 'site-releases-')));
    for (const [k, v] of Object.entries(objects)) void blobs.put(k, typeof v === 'string' ? v : JSON.stringify(v));
    return new SiteReleases(blobs, 'production', 'frontend');
  };
  const entry = (id: string) => ({ id, version: '1.0.0', gitSha: 'abc', deployId: 'd', createdAt: 't', servedAt: 't', files: 1, bytes: 1 });
  const file = (path: string) => ({ path, sha256: 'a'.repeat(64), md5: 'b'.repeat(32), size: 1, type: 'text/html', immutable: false });

  it('reads what the plugin writes', async () => {
    const s = store({ 'cdn/production/frontend/index.json': { current: '0123456789ab', releases: [entry('0123456789ab')] } });
    expect((await s.index()).current).toBe('0123456789ab');
  });

  it.each(['../../x', '../../../etc', '0123456789ab/..', ''])('refuses a planted release id %j, naming the object and the field', async (id) => {
    const s = store({ 'cdn/production/frontend/index.json': { current: '0123456789ab', releases: [entry('0123456789ab'), entry(id)] } });
    await expect(s.index()).rejects.toThrow(
      /the state store's cdn\/production\/frontend\/index.json is not valid[\s\S]*releases\[1\]\.id: a release id is 12 hex characters[\s\S]*nothing of this site was changed or deleted/,
    );
  });

  it.each(['../outside.html', '/etc/passwd', 'assets/../../x.js', 'a\\..\\b', 'assets//x.js'])(
    'refuses a manifest whose file path %j leaves the site',
    async (path) => {
      const s = store({ 'cdn/production/frontend/releases/0123456789ab.json': { id: '0123456789ab', files: [file('index.html'), file(path)] } });
      await expect(s.manifest('0123456789ab')).rejects.toThrow(/files\[1\]\.path: a file path stays inside the site/);
    },
  );

  it('refuses a manifest stored under another release id, and one that is not JSON', async () => {
    const s = store({
      'cdn/production/frontend/releases/0123456789ab.json': { id: 'ffffffffffff', files: [] },
      'cdn/production/frontend/index.json': '{not json',
    });
    await expect(s.manifest('0123456789ab')).rejects.toThrow('describes release ffffffffffff, not 0123456789ab');
    await expect(s.index()).rejects.toThrow("the state store's cdn/production/frontend/index.json is not JSON");
  });
});

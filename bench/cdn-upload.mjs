// CDN upload benchmark: a generated 5,000-file site published to one versitygw (a real S3 server on
// loopback) by deploy-cdn's publish (the S3 provider the executor runs) and by `aws s3 sync`
// (Debian's awscli) in the same run, each into its own bucket; then both again with nothing
// changed. Prints the times and the ratio against aws s3 sync (the anchor). Goals, reported and
// never enforced: ours <= 0.8x of aws s3 sync's first upload; an unchanged redeploy under 2 s
// with 0 uploads.
//   npm run bench:cdn [-- --files 5000]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildFiles } from '../tools/deploy-plugin/src/cdn/build-files.ts';
import { publishRelease } from '../tools/deploy-plugin/src/cdn/publish.ts';
import { SiteReleases } from '../tools/deploy-plugin/src/cdn/releases.ts';
import { S3Provider } from '../tools/deploy-plugin/src/cdn/s3-provider.ts';
import { FileBlobs } from '../tools/deploy-plugin/src/store/file/blobs.ts';
import { startVersitygw } from '../test/support/s3-servers.ts';

const { values } = parseArgs({ options: { files: { type: 'string', default: '5000' } } });
const count = Number(values.files);

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
const aws = which('aws');
if (!aws) {
  console.error('aws s3 sync is the anchor of this benchmark: install awscli (apt-get install awscli) and run it again');
  process.exit(2);
}

/** A site as Vite lays one out: index.html and config.json, hashed files under assets/ of 0.5-4 kB. */
function generateSite(dir) {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  const scripts = [];
  for (let i = 0; i < count - 2; i++) {
    const name = `chunk-${i.toString(36).padStart(4, '0')}-${((i * 2654435761) >>> 0).toString(36)}.js`;
    writeFileSync(join(dir, 'assets', name), `export const v${i} = ${JSON.stringify('x'.repeat(500 + ((i * 37) % 3500)))};\n`);
    if (i < 5) scripts.push(`<script type="module" src="./assets/${name}"></script>`);
  }
  writeFileSync(join(dir, 'index.html'), `<!doctype html><html><head>${scripts.join('')}</head><body></body></html>\n`);
  writeFileSync(join(dir, 'config.json'), '{"apiBaseUrl":"http://127.0.0.1:3000"}\n');
}

const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-bench-cdn-'));
const s3 = await startVersitygw();
const site = join(dir, 'site');
generateSite(site);
const client = new S3Client({
  endpoint: s3.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
});
try {
  for (const b of ['ours', 'anchor']) await client.send(new CreateBucketCommand({ Bucket: b }));
  const provider = new S3Provider(
    {
      provider: 's3',
      bucket: 'ours',
      prefix: '',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      url: 'http://x/',
      keepReleases: 5,
      grace: '24h',
    },
    { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, credentialsFrom: 'bench' },
    'bench',
  );
  const releases = new SiteReleases(new FileBlobs(join(dir, 'state')), 'bench', 'site');
  const ours = async () => {
    const started = performance.now();
    const files = buildFiles(site, { immutable: ['assets/**'], generated: {} }).files;
    const p = await publishRelease({
      provider,
      releases,
      files,
      meta: { version: '1', gitSha: 'bench', deployId: 'bench' },
      immutableGlobs: ['assets/**'],
      log: () => undefined,
    });
    return { ms: performance.now() - started, uploaded: p.stage.uploaded };
  };
  const sync = () => {
    const started = performance.now();
    execFileSync(aws, ['s3', 'sync', site, 's3://anchor/', '--endpoint-url', s3.endpoint, '--only-show-errors', '--no-progress'], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return performance.now() - started;
  };
  const first = { ours: await ours(), anchor: sync() };
  const again = { ours: await ours(), anchor: sync() };
  provider.close();
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`${count} files (${process.version}, versitygw on loopback, same run)`);
  console.log(
    `  first upload   deploy-cdn ${s(first.ours.ms)} (${first.ours.uploaded} uploaded)   aws s3 sync ${s(first.anchor)}   ratio ${(first.ours.ms / first.anchor).toFixed(2)}x`,
  );
  console.log(
    `  unchanged      deploy-cdn ${s(again.ours.ms)} (${again.ours.uploaded} uploaded)   aws s3 sync ${s(again.anchor)} (lists every object)   ratio ${(again.ours.ms / again.anchor).toFixed(2)}x`,
  );
  const met = (ok) => (ok ? 'PASS' : 'MISS');
  console.log(
    `goals (reported, never enforced): first upload <= 0.8x of aws s3 sync: ${met(first.ours.ms <= 0.8 * first.anchor)}; unchanged under 2 s with 0 uploads: ${met(again.ours.ms < 2000 && again.ours.uploaded === 0)}`,
  );
} finally {
  client.destroy();
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';
import { freePort } from './ports.ts';
import { stopPid, waitFor } from './processes.ts';
import { workspaceRoot } from './workspace.ts';

/** An S3-compatible server on loopback with one account, its buckets in a temp dir; stopped by PID. */
export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A deploy.json `state` for a bucket of this server, credentials read from S3_ACCESS_KEY / S3_SECRET_KEY. */
  state(bucket: string, extra?: Record<string, unknown>): Record<string, unknown>;
  /** S3_ACCESS_KEY and S3_SECRET_KEY for a deploy that uses state(). */
  env: Record<string, string>;
  /** Makes a bucket. */
  bucket(name: string): string;
  stop(): Promise<void>;
}

async function start(
  name: string,
  argv: string[],
  env: Record<string, string>,
  dir: string,
  port: number,
  ready: () => Promise<boolean>,
): Promise<ChildProcess> {
  const log = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
  closeSync(log);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  try {
    await waitFor(
      `${name} on 127.0.0.1:${port}`,
      async () => {
        if (exited) throw new Error(`${name} ${exited} before serving:\n${readFileSync(join(dir, `${name}.log`), 'utf8')}`);
        return (await ready()) || undefined;
      },
      15_000,
    );
  } catch (err) {
    await stopPid(child.pid);
    throw err;
  }
  return child;
}

function server(
  endpoint: string,
  keys: { accessKeyId: string; secretAccessKey: string },
  makeBucket: (name: string) => void,
  stop: () => Promise<void>,
): S3Server {
  return {
    endpoint,
    ...keys,
    env: { S3_ACCESS_KEY: keys.accessKeyId, S3_SECRET_KEY: keys.secretAccessKey },
    state: (bucket, extra = {}) => ({
      backend: 's3',
      bucket,
      endpoint,
      forcePathStyle: true,
      accessKeyIdVariable: 'S3_ACCESS_KEY',
      secretAccessKeyVariable: 'S3_SECRET_KEY',
      ...extra,
    }),
    bucket: (name) => {
      makeBucket(name);
      return name;
    },
    stop,
  };
}

/**
 * versitygw (a REAL S3 server, built by scripts/ci/versitygw.sh into the test tools folder) over a
 * plain folder: a bucket is a directory of it. It honours If-None-Match and If-Match like AWS.
 */
export async function startVersitygw(): Promise<S3Server> {
  const bin = join(testToolsDir(), 'bin', 'versitygw');
  if (!existsSync(bin)) throw new Error(`versitygw is not installed at ${bin}: run npm test (it provisions it) or scripts/ci/versitygw.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'pod-versitygw-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const keys = { accessKeyId: 'pod-test-key', secretAccessKey: `pod-test-secret-${port}` };
  const child = await start(
    'versitygw',
    [bin, '--port', `127.0.0.1:${port}`, 'posix', data],
    { ROOT_ACCESS_KEY: keys.accessKeyId, ROOT_SECRET_KEY: keys.secretAccessKey },
    dir,
    port,
    async () => Boolean(await fetch(endpoint).catch(() => undefined)),
  );
  return server(
    endpoint,
    keys,
    (name) => mkdirSync(join(data, name), { recursive: true }),
    async () => {
      await stopPid(child.pid);
      rmSync(dir, { recursive: true, force: true });
    },
  );
}

/**
 * s3rver (npm): a FAKE S3 server that ignores conditional writes (every create-only PUT "wins"):
 * here only to prove the state store refuses such a store.
 */
export async function startS3rver(bucket: string): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'pod-s3rver-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const bin = join(workspaceRoot, 'node_modules', 's3rver', 'bin', 's3rver.js');
  const child = await start(
    's3rver',
    [process.execPath, bin, '-d', join(dir, 'data'), '-a', '127.0.0.1', '-p', String(port), '--silent', '--configure-bucket', bucket],
    {},
    dir,
    port,
    async () => Boolean(await fetch(endpoint).catch(() => undefined)),
  );
  return server(
    endpoint,
    { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    () => undefined,
    async () => {
      await stopPid(child.pid);
      rmSync(dir, { recursive: true, force: true });
    },
  );
}

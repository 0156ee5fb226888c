import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrateRegistry, type CrateRegistry } from '../support/crate-registry.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';

// The servers the release flow's tests stand on, proven on their own: a real crate registry driven
// by real cargo, and the fault-injecting proxy.

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; out: string }>((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, out: `${stdout}${stderr}` });
    });
  });
}

describe('crate registry (cargo-http-registry) with real cargo', () => {
  let registry: CrateRegistry;
  let work: string;
  let lib: string;
  let app: string;

  beforeAll(async () => {
    registry = await startCrateRegistry();
    work = mkdtempSync(join(tmpdir(), 'pod-crates-work-'));
    lib = join(work, 'pod-release-probe');
    app = join(work, 'probe-app');
    // Dependency-free crates: nothing is fetched from crates.io.
    mkdirSync(join(lib, 'src'), { recursive: true });
    writeFileSync(
      join(lib, 'Cargo.toml'),
      `[package]\nname = "pod-release-probe"\nversion = "0.1.0"\nedition = "2021"\ndescription = "probe crate for the release tests"\nlicense = "MIT"\npublish = ["${registry.name}"]\n`,
    );
    writeFileSync(join(lib, 'src/lib.rs'), 'pub fn greeting() -> &\'static str {\n    "hello from the local registry"\n}\n');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'Cargo.toml'),
      `[package]\nname = "probe-app"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n[dependencies]\npod-release-probe = { version = "0.1", registry = "${registry.name}" }\n`,
    );
    writeFileSync(join(app, 'src/main.rs'), 'fn main() {\n    println!("{}", pod_release_probe::greeting());\n}\n');
  });
  afterAll(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const cargo = (args: string[], cwd: string, env = registry.cargoEnv()) => run('cargo', args, cwd, env);

  it('refuses to publish without a token (cargo asks for one)', async () => {
    const { CARGO_REGISTRIES_LOCAL_TOKEN: _token, ...noToken } = registry.cargoEnv();
    const res = await cargo(['publish', '--registry', registry.name, '--allow-dirty'], lib, noToken);
    expect(res.code, res.out).not.toBe(0);
    expect(res.out).toMatch(/no token found for `local`/);
  });

  it('publishes a crate with cargo publish and records it in the index', async () => {
    const res = await cargo(['publish', '--registry', registry.name, '--allow-dirty'], lib);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toMatch(/Published pod-release-probe v0\.1\.0/);

    const entry = JSON.parse(readFileSync(join(registry.dataDir, 'po/d-/pod-release-probe'), 'utf8').trim());
    expect(entry).toMatchObject({ name: 'pod-release-probe', vers: '0.1.0', yanked: false });
    const download = await fetch(`${registry.apiUrl}/api/v1/crates/pod-release-probe/0.1.0/download`);
    expect(download.status).toBe(200);
    const sha256 = createHash('sha256')
      .update(Buffer.from(await download.arrayBuffer()))
      .digest('hex');
    expect(sha256).toBe(entry.cksum);
  });

  it('builds a crate that depends on the published one', async () => {
    const res = await cargo(['run', '--quiet'], app);
    expect(res.code, res.out).toBe(0);
    expect(res.stdout.trim()).toBe('hello from the local registry');
    const lock = readFileSync(join(app, 'Cargo.lock'), 'utf8');
    expect(lock).toContain(`source = "registry+${registry.indexUrl}"`);
  });

  it('refuses to publish the same version again', async () => {
    const res = await cargo(['publish', '--registry', registry.name, '--allow-dirty'], lib);
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/crate pod-release-probe@0\.1\.0 already exists on `local` index/);
  });
});

describe('fault proxy', () => {
  let target: Server;
  let targetUrl: string;
  const proxies: FaultProxy[] = [];
  /** What the target finished answering: method and body. */
  const answered: string[] = [];

  beforeAll(async () => {
    // Echoes what reached it, so the test sees exactly what the proxy forwarded.
    target = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(req.method === 'PUT' ? 201 : 200, { 'content-type': 'application/json', 'x-target': 'yes' });
      answered.push(`${req.method} ${Buffer.concat(chunks).toString()}`);
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          host: req.headers.host,
          custom: req.headers['x-custom'],
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    target.closeAllConnections();
    await new Promise((r) => target.close(r));
  });

  const start = async (failureRate: number, seed: number) => {
    const proxy = await startFaultProxy({ target: targetUrl, failureRate, seed });
    proxies.push(proxy);
    return proxy;
  };
  const statuses = async (proxy: FaultProxy, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${proxy.url}/pkg/${i}`);
      await res.arrayBuffer();
      out.push(res.status);
    }
    return out;
  };

  it('fails about 30% of 200 requests at rate 0.3, the same ones for the same seed', async () => {
    const a = await statuses(await start(0.3, 42), 200);
    const failed = a.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(40);
    expect(failed).toBeLessThan(80);
    expect(a.filter((s) => s === 200).length).toBe(200 - failed);

    const again = await start(0.3, 42);
    expect(await statuses(again, 200)).toEqual(a);
    expect(again.stats).toEqual({ forwarded: 200 - failed, failed, dropped: 0, upstreamErrors: 0 });
    expect(await statuses(await start(0.3, 7), 50)).not.toEqual(a.slice(0, 50));
  });

  it('passes requests through unchanged: method, path, streamed body, headers, Host rewritten', async () => {
    const proxy = await start(0, 1);
    const body = 'x'.repeat(256 * 1024);
    const res = await fetch(`${proxy.url}/-/pkg/%40pod%2fsdk?write=true`, {
      method: 'PUT',
      headers: { 'x-custom': 'kept', 'content-type': 'text/plain' },
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-target')).toBe('yes');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const echoed = await res.json();
    expect(echoed).toEqual({ method: 'PUT', url: '/-/pkg/%40pod%2fsdk?write=true', host: new URL(targetUrl).host, custom: 'kept', body });
  });

  it('drops the reply to chosen requests: the target answers them in full, the client sees the connection reset', async () => {
    const proxy = await startFaultProxy({ target: targetUrl, failureRate: 0, seed: 1, dropReplyTo: (req) => req.method === 'PUT' });
    proxies.push(proxy);
    const put = await fetch(`${proxy.url}/pkg`, { method: 'PUT', body: 'stored' }).then(
      () => 'answered',
      (err: Error) => (err.cause as NodeJS.ErrnoException)?.code ?? err.message,
    );
    expect(put).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed/);
    expect((await fetch(`${proxy.url}/pkg`)).status).toBe(200);
    expect(answered.slice(-2)).toEqual(['PUT stored', 'GET ']);
    expect(proxy.stats).toEqual({ forwarded: 2, failed: 0, dropped: 1, upstreamErrors: 0 });
  });

  it('answers 503 to every request at rate 1, without reaching the target', async () => {
    const proxy = await start(1, 3);
    const res = await fetch(`${proxy.url}/x`, { method: 'POST', body: 'payload' });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('fault-proxy: injected 503');
    expect(proxy.stats).toEqual({ forwarded: 0, failed: 1, dropped: 0, upstreamErrors: 0 });
  });
});

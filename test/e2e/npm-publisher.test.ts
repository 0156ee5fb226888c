import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../tools/deploy-plugin/src/core/log.ts';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { Runner } from '../../tools/deploy-plugin/src/core/run.ts';
import { NpmPublisher } from '../../tools/deploy-plugin/src/publishers/npm.ts';
import type { ReleasePackage } from '../../tools/deploy-plugin/src/publishers/publisher.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { startVerdaccio, type Verdaccio } from '../support/verdaccio.ts';

// The npm publisher in process (npm's own libnpmpublish) against a real Verdaccio whose scope
// @locked accepts only authenticated publishes: the token from the configured variable is sent as
// npm sends it (a bearer on the registry's requests, observed through a proxy), a wrong or missing
// token is refused naming the registry and package, and the token appears in no message. What was
// published installs with npm and carries the dist-tag asked for.
describe('npm publishing in process', () => {
  let verdaccio: Verdaccio;
  let token: string;
  const dir = mkdtempSync(join(tmpdir(), 'pod-npm-publisher-'));
  const redactor = new Redactor();
  const lines: string[] = [];
  const log = createLogger(redactor, 'test', (line) => lines.push(line));
  const runner = new Runner(dir, redactor, log);

  beforeAll(async () => {
    verdaccio = await startVerdaccio({ '@locked/*': '$authenticated' });
    token = await verdaccio.addUser('releaser', 'releaser-password-3c1e');
    redactor.add(token);
  }, 60_000);
  afterAll(async () => {
    await verdaccio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function pkg(name: string, version: string): ReleasePackage {
    const pkgDir = join(dir, name.replace('/', '__'), version);
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name, version, license: 'MIT', main: 'index.js' }));
    writeFileSync(join(pkgDir, 'index.js'), `module.exports = ${JSON.stringify(`${name}@${version}`)};\n`);
    return { kind: 'npm', name, version, project: name, dir: pkgDir, dependencies: [] };
  }

  const publisher = (registry: string, environ: NodeJS.ProcessEnv, tag = 'latest') =>
    new NpmPublisher({ registry, distTag: () => tag, tokenVariable: 'RELEASE_NPM_TOKEN', provenance: false }, runner, log, environ);

  it('sends the token from its variable as a bearer, publishes with the dist-tag, and it installs', async () => {
    const seen: string[] = [];
    const proxy = await startFaultProxy({
      target: verdaccio.url,
      failureRate: 0,
      seed: 1,
      observe: ({ method, headers }) => method === 'PUT' && seen.push(String(headers.authorization)),
    });
    try {
      const p = pkg('@locked/lib', '1.2.0');
      const npm = publisher(proxy.url, { RELEASE_NPM_TOKEN: token }, 'next');
      try {
        await npm.publish(p, await npm.pack(p));
      } finally {
        npm.dispose();
      }
      expect(seen).toEqual([`Bearer ${token}`]);
      const packument = (await (await fetch(`${verdaccio.url}@locked%2flib`)).json()) as { 'dist-tags': Record<string, string> };
      expect(packument['dist-tags'].next).toBe('1.2.0');
      const consumer = join(dir, 'consumer');
      mkdirSync(consumer);
      writeFileSync(join(consumer, 'package.json'), '{"name":"consumer","private":true}');
      await execa('npm', ['install', '--no-audit', '--no-fund', '--registry', verdaccio.url, '@locked/lib@next'], { cwd: consumer });
      const { stdout } = await execa(process.execPath, ['-p', "require('@locked/lib')"], { cwd: consumer });
      expect(stdout).toBe('@locked/lib@1.2.0');
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it('a wrong token is refused by the registry, naming it and the package, never showing the token', async () => {
    const p = pkg('@locked/lib', '1.3.0');
    const wrong = 'not-the-token-5b9f2e';
    redactor.add(wrong);
    const npm = publisher(verdaccio.url, { RELEASE_NPM_TOKEN: wrong });
    try {
      const err = await npm.publish(p, await npm.pack(p)).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toBe(
        `${verdaccio.url} refused @locked/lib@1.3.0 (HTTP 401): Unable to authenticate, need: Basic, Bearer; check the token in RELEASE_NPM_TOKEN (deploy.json npm.tokenVariable)`,
      );
      expect(redactor.redact(err!.message)).toBe(err!.message);
      expect(lines.join('\n')).not.toContain(wrong);
    } finally {
      npm.dispose();
    }
    expect(await publisher(verdaccio.url, { RELEASE_NPM_TOKEN: token }).isPublished(p)).toBe(false);
  }, 60_000);

  it('no token in the variable: refused before any request, naming the variable', async () => {
    const p = pkg('@locked/lib', '1.4.0');
    const npm = publisher(verdaccio.url, {});
    try {
      await expect(npm.publish(p, await npm.pack(p))).rejects.toThrow(
        `publishing to ${verdaccio.url} needs a token in RELEASE_NPM_TOKEN (deploy.json npm.tokenVariable), which is not set`,
      );
    } finally {
      npm.dispose();
    }
  }, 60_000);
});

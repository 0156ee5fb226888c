import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage } from '../src/commands/image.ts';
import { createLogger } from '../src/core/log.ts';
import { Redactor } from '../src/core/redact.ts';
import { Runner } from '../src/core/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runner() {
  const lines: string[] = [];
  const redactor = new Redactor();
  redactor.add('hunter2-secret');
  return {
    lines,
    runner: new Runner(
      dir,
      redactor,
      createLogger(redactor, 'test', (s) => void lines.push(s)),
    ),
  };
}

describe('runner (real programs)', () => {
  it('passes shell metacharacters as plain arguments: nothing reaches a shell', async () => {
    const { runner: r } = runner();
    const marker = join(dir, 'pwned');
    const hostile = [`$(touch ${marker})`, `; touch ${marker}`, `\`touch ${marker}\``, '| cat /etc/passwd', 'it\'s "quoted" && true'];
    const res = await r.run({ argv: ['node', '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...hostile] }, { quiet: true });
    expect(JSON.parse(res.stdout)).toEqual(hostile);
    expect(existsSync(marker)).toBe(false);
  });

  it('redacts secrets from streamed output and from errors', async () => {
    const { runner: r, lines } = runner();
    await r.run({ argv: ['node', '-e', 'console.log("token=hunter2-secret")'] });
    expect(lines.join('')).toContain('token=***');
    expect(lines.join('')).not.toContain('hunter2-secret');
    await expect(r.run({ argv: ['node', '-e', 'console.error("bad hunter2-secret"); process.exit(3)'] }, { quiet: true })).rejects.toThrow(
      /exit code 3: .*\n\s+bad \*\*\*/,
    );
  });

  it('stops a command at its timeout and says so', async () => {
    const { runner: r } = runner();
    await expect(r.run({ argv: ['node', '-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 300 }, { quiet: true })).rejects.toThrow(
      /timed out after 300 ms and was stopped/,
    );
  });

  it('explains a program that is not installed', async () => {
    const { runner: r } = runner();
    await expect(r.run({ argv: ['no-such-program-xyz'] }, { quiet: true })).rejects.toThrow("'no-such-program-xyz' was not found on PATH");
  });

  it('keeps image tags and build arguments with metacharacters as single arguments', () => {
    const cmd = buildImage('podman', {
      file: 'Dockerfile',
      context: '.',
      tags: ['r/x:1;rm -rf /'],
      buildArgs: { NOTE: '$(id) && `id`' },
      labels: {},
    });
    expect(cmd.argv).toContain('r/x:1;rm -rf /');
    expect(cmd.argv).toContain('NOTE=$(id) && `id`');
  });
});

describe('runner: what children inherit', () => {
  it("a child sees its command's variables and the tools' settings, not the runner's other secrets", async () => {
    const { runner: r } = runner();
    const saved = { ...process.env };
    Object.assign(process.env, { PRODUCTION_DATABASE_URL: 'postgres://u:p@prod/db', NPM_TOKEN: 'npm_secret_x', NX_DEPLOY_FILE: 'deploy.x.json' });
    try {
      const res = await r.run(
        { argv: ['node', '-e', 'console.log(JSON.stringify(process.env))'], env: { DATABASE_URL: 'file:x.sqlite' } },
        { quiet: true },
      );
      const seen = JSON.parse(res.stdout);
      expect(seen).not.toHaveProperty('PRODUCTION_DATABASE_URL');
      expect(seen).not.toHaveProperty('NPM_TOKEN');
      expect(seen).toMatchObject({ DATABASE_URL: 'file:x.sqlite', NX_DEPLOY_FILE: 'deploy.x.json', HOME: process.env.HOME });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    }
  });
});

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cloneWorkspace } from '../support/clone.ts';
import { TestDeployment } from '../support/workspace.ts';

// A wrong deploy.json or wrong executor options: one paragraph naming each bad field, exit
// non-zero, no stack trace, nothing run.
describe('errors for people', () => {
  const deployment = new TestDeployment({ development: {} });
  afterAll(() => deployment.cleanup());

  const smoke = (args: string[] = [], env: Record<string, string> = {}) =>
    deployment.run(['nx', 'run', 'api-server:smoke:development', '--output-style=static', ...args], env);

  function expectOneParagraph(output: string | undefined, ...fragments: (string | RegExp)[]) {
    for (const f of fragments) expect(output).toMatch(f);
    expect(output).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  }

  it('names every bad field of deploy.json', async () => {
    deployment.write({
      development: {
        approval: { required: 'yes' },
        services: { 'api-server': { url: 'localhost:3000' } },
        database: {},
        runtime: 'kubernetes-please',
      },
    });
    const res = await smoke();
    expect(res.exitCode).not.toBe(0);
    expectOneParagraph(
      res.all,
      'is not valid, so nothing was run',
      'environments.development.approval.required: Invalid input: expected boolean',
      'environments.development.services.api-server.url: expected an http(s) URL',
      'environments.development.database: set urlVariable',
      /environments\.development\.runtime: Invalid (input|option): expected .*"process"/,
    );
    expect(deployment.ledger('development')).toEqual([]);
  });

  it('says so when deploy.json is not JSON', async () => {
    deployment.write('{ "environments": {');
    expectOneParagraph((await smoke()).all, /deploy\.json is not valid JSON, so nothing was run/);
  });

  it('names an unknown environment and the known ones', async () => {
    deployment.write({ development: {}, staging: {} });
    const res = await smoke(['--environment=qa']);
    expect(res.exitCode).not.toBe(0);
    expectOneParagraph(res.all, "unknown environment 'qa': deploy.json declares development, staging");
  });

  it('never deploys to an environment nobody named: a misspelt -c prod, or none, is refused before any side effect', async () => {
    deployment.write({ development: { ephemeralSecrets: ['POD_SMOKE_TOKEN'] }, staging: {}, production: { approval: { required: true } } });
    for (const argv of [
      ['nx', 'run-many', '-t', 'deploy', '-c', 'prod', '--output-style=static'],
      ['nx', 'run', 'api-server:deploy', '--output-style=static'],
      ['nx', 'run', 'api-server:rollout:prod', '--output-style=static'],
    ]) {
      const res = await deployment.run(argv);
      expect(res.exitCode, argv.join(' ')).not.toBe(0);
      expectOneParagraph(res.all, 'was given no environment, so nothing was run', 'development, staging, production');
    }
    expect(deployment.ledger('development')).toEqual([]);
    expect(existsSync(deployment.stateDir)).toBe(false); // no ledger, lock, service or backup was made
  });

  it('names a bad executor option by its path', async () => {
    deployment.write({ development: { services: { 'api-server': { url: 'http://127.0.0.1:9' } } } });
    const res = await smoke(['--intervalMs=-5']);
    expect(res.exitCode).not.toBe(0);
    expectOneParagraph(res.all, /api-server:smoke options is not valid, so nothing was run:\n\s+- intervalMs: Too small/);
  });

  it('names a missing variable and the field that names it', async () => {
    deployment.write({ staging: { database: { urlVariable: 'STAGING_DATABASE_URL' }, services: { 'api-server': { url: 'http://127.0.0.1:9' } } } });
    const res = await deployment.run(['nx', 'run', 'api-server:migrate:staging', '--output-style=static', '--excludeTaskDependencies'], {
      STAGING_DATABASE_URL: '',
    });
    expect(res.exitCode).not.toBe(0);
    expectOneParagraph(res.all, 'STAGING_DATABASE_URL (deploy.json environments.staging.database.urlVariable), which is not set');
  });

  it('names the build to run when the migration script was never built (a fresh clone, --excludeTaskDependencies)', async () => {
    const clone = await cloneWorkspace();
    try {
      rmSync(join(clone.dir, 'packages', 'api-server', 'dist'), { recursive: true, force: true });
      const res = await clone.run('npx', ['nx', 'run', 'api-server:migrate:development', '--output-style=static', '--excludeTaskDependencies']);
      expect(res.exitCode).not.toBe(0);
      expectOneParagraph(
        res.all,
        'api-server: its migration script packages/api-server/dist/migrate.js does not exist',
        'run `nx run api-server:build` first',
        'Nothing was run.',
      );
      expect(res.all).not.toMatch(/MODULE_NOT_FOUND|Cannot find module/);
      expect(existsSync(join(clone.dir, '.nx-deploy', 'data', 'development'))).toBe(false); // no database was made
    } finally {
      await clone.remove();
    }
  });
});

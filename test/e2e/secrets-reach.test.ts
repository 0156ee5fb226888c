import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { TestDeployment } from '../support/workspace.ts';

// What a CI job holds for one environment must not reach another's programs or pages: a
// development deploy run with production's database URL and an npm token in its environment hands
// neither to the service it starts; a secret production declares, pasted with its trailing newline,
// is redacted from the development deploy's output, ledger and files in every form it travels in.
describe('secrets reach only what needs them', () => {
  let deployment: TestDeployment;
  const production = { url: 'postgres://pod:Pr0d-db-pa55word-91@10.20.30.40:5432/pod', npm: 'npm_0123456789abcdefPLANTED' };
  const pasted = 'pa"ss\\word-Pasted-5d21\n'; // a quote and a backslash (JSON escapes them), and a pasted newline
  const forms = {
    raw: pasted.trim(),
    json: JSON.stringify(pasted.trim()).slice(1, -1),
    base64: Buffer.from(pasted.trim()).toString('base64'),
    basicAuthFragment: Buffer.from(pasted.trim()).subarray(1, 16).toString('base64'),
  };
  const basicAuth = Buffer.from(`ci-bot:${pasted.trim()}`).toString('base64');

  beforeAll(async () => {
    const port = await freePort();
    deployment = new TestDeployment({
      development: {
        services: { 'api-server': { url: `http://127.0.0.1:${port}`, healthPath: '/health' } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      },
      production: {
        approval: { required: true },
        database: { urlVariable: 'PRODUCTION_DATABASE_URL' },
        npm: { registry: 'http://127.0.0.1:9/', distTag: 'latest', tokenVariable: 'NPM_TOKEN' },
        services: { 'api-server': { url: 'http://127.0.0.1:9' } },
        secrets: ['PRODUCTION_SIGNING_SECRET'],
      },
    });
  });
  afterAll(async () => {
    await deployment?.cleanup();
  });

  it("a development deploy's service sees its own settings, not production's database URL or the npm token the job holds", async () => {
    const res = await deployment.run(['nx', 'run', 'api-server:deploy:development', '--output-style=static', '--excludeTaskDependencies'], {
      PRODUCTION_DATABASE_URL: production.url,
      NPM_TOKEN: production.npm,
      PRODUCTION_SIGNING_SECRET: pasted,
      // Who deploys is printed and recorded: here it carries the secret in the forms a tool would print it.
      DEPLOY_ACTOR: `ci-bot ${forms.raw} ${forms.json} ${forms.base64} Basic ${basicAuth}`,
    });
    expect(res.exitCode, res.all as string).toBe(0);
    // The recorded pid is the service's supervisor (it redacts the log); the service is its child.
    const supervisor = deployment.servicePid('development', 'api-server')!;
    const [service] = readFileSync(`/proc/${supervisor}/task/${supervisor}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const environOf = (p: number) => readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
    for (const p of [supervisor, service!]) {
      const environ = environOf(p);
      expect(environ.filter((v) => v.includes(production.url) || v.includes(production.npm) || v.includes('Pasted-5d21'))).toEqual([]);
      expect(environ.some((v) => v.startsWith('PATH='))).toBe(true);
    }
    expect(environOf(service!)).toContain('APP_ENV=development');

    const ledger = JSON.stringify(deployment.ledger('development'));
    for (const [form, value] of Object.entries(forms)) {
      expect(res.all, form).not.toContain(value);
      expect(ledger, form).not.toContain(value);
      expect(deployment.filesContaining(value), form).toEqual([]);
    }
    expect(ledger).toContain('ci-bot ***');
  });
});

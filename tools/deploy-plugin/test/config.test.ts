import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentOf, loadDeployFile } from '../src/config/load.ts';
import { secretVariables } from '../src/config/environments.ts';
import { resolveDatabase } from '../src/config/database.ts';

const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const load = (content: unknown) => {
  writeFileSync(join(dir, 'deploy.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return () => loadDeployFile(dir);
};

describe('deploy.json validation', () => {
  it('names the path of every bad field and what was expected', () => {
    const read = load({
      environments: {
        staging: {
          approval: { required: 'yes' },
          services: { 'api-server': { url: 'not a url' } },
          database: { urlVariable: 'postgres://user:pw@db/pod' },
          colour: 'blue',
        },
      },
    });
    expect(read).toThrow(/deploy\.json is not valid, so nothing was run/);
    const message = (() => {
      try {
        read();
      } catch (e) {
        return (e as Error).message;
      }
    })()!;
    expect(message).toContain('environments.staging.approval.required: Invalid input: expected boolean');
    expect(message).toContain('environments.staging.services.api-server.url: expected an http(s) URL');
    expect(message).toContain('environments.staging.database.urlVariable: expected the NAME of an environment variable');
    expect(message).toContain('environments.staging.colour: unknown field');
  });

  it('reads every duration with one grammar, and refuses a verification window no trigger could fire in, naming the field', () => {
    const verify = (v: unknown) => load({ environments: { staging: { verify: v } } });
    const grace = load({ environments: { staging: { cdn: { frontend: { provider: 'fs', url: 'http://127.0.0.1:4200', grace: '7d' } } } } });
    expect(grace).not.toThrow();
    expect(verify({ window: '6m', interval: '15s', triggers: [{ metric: 'health', for: '5m' }] })).not.toThrow();
    expect(verify({ window: '1d', interval: '1m', triggers: [{ metric: 'health', for: '2h' }] })).not.toThrow();
    expect(verify({ window: '2 weeks' })).toThrow("environments.staging.verify.window: expected a duration such as '30s', '2m' or '500ms'");
    expect(verify({ window: '5m', interval: '15s', triggers: [{ metric: 'health', for: '5m' }] })).toThrow(
      "environments.staging.verify.window: 5m is shorter than the longest trigger's for (5m, health) plus one interval (15s): that trigger could never fire",
    );
    // The runbook's own triggers (health for 5m) with a shorter window than the default.
    expect(verify({ window: '2m' })).toThrow(/verify\.window: 2m is shorter than the longest trigger's for \(5m, health\)/);
  });

  it("refuses a canary step no trigger could stop: its pause shorter than a trigger's for plus one interval", () => {
    const canary = (pauses: string[], verify?: unknown) =>
      load({
        environments: {
          staging: {
            services: {
              api: { url: 'http://127.0.0.1:3000', strategy: { canary: { steps: pauses.map((pause, i) => ({ weight: 10 * (i + 1), pause })) } } },
            },
            ...(verify ? { verify } : {}),
          },
        },
      });
    const judged = { window: '10s', interval: '1s', triggers: [{ metric: 'errorRate', threshold: 0.2, for: '2s' }] };
    expect(canary(['3s', '1m'], judged)).not.toThrow();
    expect(canary(['3s', '2s'], judged)).toThrow(
      "environments.staging.services.api.strategy.canary.steps[1].pause: 2s is shorter than the longest verification trigger's for (2s, errorRate) plus one interval (1s): that trigger could never stop this step",
    );
    // Without a verification window, the runbook's triggers (health for 5m) every 15 s judge each step.
    expect(canary(['6m'])).not.toThrow();
    expect(canary(['1m'])).toThrow(
      /steps\[0\]\.pause: 1m is shorter than the longest verification trigger's for \(5m, health\) plus one interval \(15s\)/,
    );
  });

  it('explains JSON syntax errors', () => {
    expect(load('{ "environments": ')).toThrow(/deploy\.json is not valid JSON/);
  });

  it('refuses generated secrets where approval is required', () => {
    expect(load({ environments: { production: { approval: { required: true }, ephemeralSecrets: ['T'] } } })).toThrow(
      /environments\.production\.ephemeralSecrets: an environment that requires approval/,
    );
  });

  it('refuses an approval environment promoting images without a key to verify them, and a private key where nothing is built', () => {
    const containers = { registry: 'registry.example.com', promoteFrom: 'staging' };
    expect(load({ environments: { staging: {}, production: { approval: { required: true }, containers } } })).toThrow(
      /environments\.production\.containers\.signing: production requires approval and promotes the image staging recorded: without signing\.publicKey/,
    );
    const signing = { publicKey: 'keys/cosign.pub', privateKeyVariable: 'COSIGN_KEY' };
    expect(load({ environments: { staging: {}, production: { approval: { required: true }, containers: { ...containers, signing } } } })).toThrow(
      /environments\.production\.containers\.signing\.privateKeyVariable: production promotes staging's images and builds none/,
    );
    const file = load({
      environments: { staging: { containers: { registry: 'r', signing: { ...signing, passwordVariable: 'COSIGN_PASSWORD' } } } },
    })();
    expect(secretVariables(file.environments.staging!)).toEqual(expect.arrayContaining(['COSIGN_KEY', 'COSIGN_PASSWORD']));
  });

  it('names the known environments when an unknown one is asked for', () => {
    const file = load({ environments: { development: {}, staging: {} } })();
    expect(() => environmentOf(file, 'prod')).toThrow("unknown environment 'prod': deploy.json declares development, staging");
  });

  it('collects every variable that holds a secret', () => {
    const file = load({
      environments: {
        staging: {
          database: { urlVariable: 'DB_URL' },
          npm: { registry: 'http://127.0.0.1:4873/', distTag: 'next', tokenVariable: 'NPM_TOKEN' },
          alerts: {
            channels: [
              { type: 'slack', webhookVariable: 'SLACK' },
              { type: 'pagerduty', routingKeyVariable: 'PD_KEY' },
            ],
          },
          secrets: ['EXTRA'],
        },
      },
    })();
    expect(secretVariables(file.environments.staging!).sort()).toEqual(['DB_URL', 'EXTRA', 'NPM_TOKEN', 'PD_KEY', 'SLACK']);
  });
});

describe('the database of an environment', () => {
  const ctx = (url: string) =>
    ({
      workspaceRoot: '/ws',
      stateDir: '/ws/.nx-deploy',
      envName: 'development',
      project: { name: 'api-server' },
      environ: {},
      env: { database: { url } },
    }) as never;

  it('reads a file: URL relative to the workspace, or absolute (file:/x, file:///x)', () => {
    expect(resolveDatabase(ctx('file:data/api.sqlite'))).toMatchObject({ kind: 'sqlite', file: '/ws/data/api.sqlite' });
    expect(resolveDatabase(ctx('file:/srv/api.sqlite'))).toMatchObject({ kind: 'sqlite', file: '/srv/api.sqlite' });
    expect(resolveDatabase(ctx('file:///srv/api.sqlite'))).toMatchObject({ kind: 'sqlite', file: '/srv/api.sqlite' });
  });
});

import { describe, expect, it } from 'vitest';
import type { PlanContext } from '../src/config/context.ts';
import { environmentSchema } from '../src/config/environments.ts';
import { buildImageStep } from '../src/steps/build-image.ts';
import { deployCdnStep } from '../src/steps/deploy-cdn.ts';

// A declared secret never goes where others read it: a site's public config.json, an image's build arguments.
describe('the public config file', () => {
  const ctx = (secrets: string[]) =>
    ({
      workspaceRoot: '/ws',
      project: { name: 'frontend', root: 'packages/frontend', output: 'packages/frontend/dist', version: '1.0.0' },
      envName: 'staging',
      env: environmentSchema.parse({ runtime: 'container', secrets, cdn: { frontend: { provider: 'fs', url: 'http://127.0.0.1:4300' } } }),
      stateDir: '/ws/.nx-deploy',
      deployId: 'd1',
      environ: {},
    }) as PlanContext;
  const options = (config: Record<string, unknown>) => ({ ...deployCdnStep.options.parse({}), config });

  it('refuses a declared secret anywhere in config.json, naming the field, before anything runs (the plan)', () => {
    expect(() =>
      deployCdnStep.plan(options({ api: { url: '${NX_DEPLOY_ENV}', keys: ['${STAGING_DATABASE_URL}'] } }), ctx(['STAGING_DATABASE_URL'])),
    ).toThrow(
      'frontend:deploy-cdn config config.api.keys[0] uses ${STAGING_DATABASE_URL}, which environments.staging declares a secret: config.json is public on the CDN',
    );
  });

  it('plans a config of public values', () => {
    expect(deployCdnStep.plan(options({ api: '${NX_DEPLOY_SERVICE_URL_API_SERVER}' }), ctx(['STAGING_DATABASE_URL']))[0]!.title).toContain(
      'and config.json',
    );
  });
});

describe('build arguments', () => {
  it('refuses a declared secret as a build argument before anything runs (it would stay in the image history)', () => {
    const ctx = {
      workspaceRoot: '/ws',
      project: { name: 'api-server', root: 'packages/api-server', version: '1.0.0' },
      envName: 'staging',
      env: environmentSchema.parse({ runtime: 'container', containers: { registry: 'registry.example' }, secrets: ['NPM_TOKEN'] }),
      stateDir: '/ws/.nx-deploy',
      deployId: 'd1',
      environ: {},
    } as PlanContext;
    expect(() => buildImageStep.plan(buildImageStep.options.parse({ buildArgs: { TOKEN: 'x-${NPM_TOKEN}' } }), ctx)).toThrow(
      "api-server:build-image buildArgs.TOKEN uses ${NPM_TOKEN}, which environments.staging declares a secret: a build argument stays in the image's history",
    );
  });
});

import { describe, expect, it } from 'vitest';
import { childEnvironment, inherited } from '../src/core/child-env.ts';

describe("children's environment", () => {
  const runner = {
    PATH: '/usr/bin',
    HOME: '/home/ci',
    LC_ALL: 'C.UTF-8',
    KUBECONFIG: '/k',
    CONTAINERS_STORAGE_CONF: '/c',
    NX_DEPLOY_FILE: 'deploy.test.json',
    npm_config_registry: 'http://127.0.0.1:4873',
    PRODUCTION_DATABASE_URL: 'postgres://u:p@prod/db',
    NPM_TOKEN: 'npm_abc',
    AWS_SECRET_ACCESS_KEY: 'x',
    npm_config__authToken: 'npm_abc',
    NX_CLOUD_ACCESS_TOKEN: 'nx',
    CARGO_REGISTRIES_POD_TOKEN: 'cargo',
    GIT_AUTHOR_NAME: 'release',
    GITHUB_TOKEN: 'ghs_x',
    SSH_AUTH_SOCK: '/agent',
    STAGING_SSH_KEY: '-----BEGIN',
  };

  it("keeps the tools' settings and drops every other variable of the runner, credentials in allowed families included", () => {
    expect(Object.keys(childEnvironment({}, runner)).sort()).toEqual(
      [
        'CONTAINERS_STORAGE_CONF',
        'GIT_AUTHOR_NAME',
        'HOME',
        'KUBECONFIG',
        'LC_ALL',
        'NX_DEPLOY_FILE',
        'PATH',
        'SSH_AUTH_SOCK',
        'npm_config_registry',
      ].sort(),
    );
  });

  it("adds the command's own variables on top, and an undefined one removes an inherited one", () => {
    const env = childEnvironment({ DATABASE_URL: 'postgres://staging', HOME: undefined }, runner);
    expect(env.DATABASE_URL).toBe('postgres://staging');
    expect(env).not.toHaveProperty('HOME');
  });

  it.each(['GIT_ASKPASS_TOKEN', 'CARGO_REGISTRY_TOKEN', 'NX_KEY_PASSWORD', 'XDG_SECRET', 'npm_config_//registry/:_auth', 'CARGO_SIGNING_KEY'])(
    'leaves out %s (a credential by its name)',
    (name) => expect(inherited(name)).toBe(false),
  );
});

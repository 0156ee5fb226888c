import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '../support/workspace.ts';

const env = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const dir = mkdtempSync(join(tmpdir(), 'pod-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The deploy graph as Nx computes it from the inferred targets, for the real workspace.
describe('inferred deploy graph', () => {
  it('orders backends before the frontend and packages by dependency, forwarding the configuration', async () => {
    const file = join(dir, 'tasks.json');
    const res = await execa('npx', ['nx', 'run-many', '-t', 'deploy', '-c', 'staging', `--graph=${file}`], {
      cwd: workspaceRoot,
      env,
      reject: false,
      all: true,
    });
    expect(res.exitCode, res.all).toBe(0);
    const { tasks } = JSON.parse(readFileSync(file, 'utf8'));
    const deps: Record<string, string[]> = Object.fromEntries(
      Object.entries(tasks.dependencies as Record<string, Array<string | { id: string }>>).map(([k, v]) => [
        k,
        v.map((d) => (typeof d === 'string' ? d : d.id)),
      ]),
    );
    expect(deps['frontend:deploy:staging']).toEqual(
      expect.arrayContaining(['api-server:deploy:staging', 'mcp-server:deploy:staging', 'frontend:build']),
    );
    expect(deps['cli:deploy:staging']).toContain('sdk-typescript:deploy:staging');
    expect(deps['api-server:deploy:staging']).toEqual(['api-server:build']);
    for (const task of Object.keys(deps).filter((t) => t.includes(':deploy'))) expect(task).toMatch(/:deploy:staging$/);
  });

  it('shows every inferred target and its dependsOn with nx show project', async () => {
    const res = await execa('npx', ['nx', 'show', 'project', 'frontend', '--json'], { cwd: workspaceRoot, env });
    const project = JSON.parse(res.stdout);
    expect(project.targets.deploy.executor).toBe('@pod-protocol/nx-deploy:deploy');
    expect(project.targets.deploy.dependsOn).toContainEqual({ projects: ['tag:deploy:backend'], target: 'deploy', params: 'forward' });
    expect(project.tags).toContain('deploy:frontend');
    expect(Object.keys(project.targets.deploy.configurations)).toEqual(['development', 'staging', 'production']);
    const api = JSON.parse((await execa('npx', ['nx', 'show', 'project', 'api-server', '--json'], { cwd: workspaceRoot, env })).stdout);
    expect(api.targets.deploy.options.steps).toEqual(['predeploy', 'migrate', 'rollout', 'smoke', 'cutover', 'verify', 'loadtest']);
    expect(api.targets.migrate.executor).toBe('@pod-protocol/nx-deploy:migrate');
    // The fault-injection opt-in reaches the api-server only in development (the service refuses it elsewhere too).
    expect(Object.keys(api.targets.rollout.options.env)).not.toContain('FAULT_INJECTION');
    expect(Object.keys(api.targets.rollout.configurations.staging.env ?? {})).not.toContain('FAULT_INJECTION');
    expect(api.targets.rollout.configurations.development.env).toMatchObject({
      FAULT_INJECTION: '${POD_FAULT_INJECTION:-}',
      APP_ENV: '${NX_DEPLOY_ENV}',
    });
  });
});

describe('nx-deploy plan', () => {
  it('prints the layers, each step and the argv of its commands, secrets redacted, running nothing', async () => {
    const secret = 'postgres://pod:plan-secret-pw-31@db.internal:5432/pod';
    const res = await execa('npx', ['nx-deploy', 'plan', '--env', 'staging'], {
      cwd: workspaceRoot,
      env: { ...env, STAGING_DATABASE_URL: secret },
      reject: false,
      all: true,
    });
    expect(res.exitCode, res.all).toBe(0);
    const out = res.stdout;
    expect(out).toMatch(/Layer 1 \(in parallel\): api-server, mcp-server, .*\n/);
    expect(out.indexOf('frontend 0.1.0')).toBeGreaterThan(out.indexOf('Layer 2'));
    expect(out).toContain('1. predeploy');
    expect(out).toContain('2. build-image');
    expect(out).toMatch(/\$ PGHOST=db\.internal PGPORT=5432 PGDATABASE=pod PGUSER=pod PGPASSWORD=\*\*\* pg_dump --format=custom --no-owner --file /);
    expect(out).toContain('$ MIGRATIONS_DIR= DATABASE_URL=*** node dist/migrate.js up'); // the migrate env option: unset here
    expect(out).not.toContain('plan-secret-pw-31');
    // Staging's backends run on its servers: each server's commands, as they run there over SSH.
    expect(out).toContain(
      '- on 2 server(s) over SSH (host keys pinned), 1 at a time; the first that fails stops the roll-out and the servers done roll back',
    );
    for (const server of ['10.10.1.11', '10.10.1.12']) {
      expect(out).toContain(
        `$ ${server}: docker --config '<private config folder>' pull 'registry.pod-protocol.example/api-server@<digest of this build>'`,
      );
      expect(out).toMatch(
        new RegExp(
          `\\$ ${server.replace(/\./g, '\\.')}: docker run --detach --name 'api-server-staging-<deploy>' --network host --env-file '<private env file>'`,
        ),
      );
    }
    // Behind each server's proxy: the new version beside the serving one, smoke-tested directly, then the switch.
    expect(out).toContain('- 10.10.1.11: pick a free private port on 127.0.0.1 and the slot the serving version does not use\n');
    expect(out).toContain('each check against the new version on its private port (where the proxy runs), before the proxy sends it any request');
    expect(out).toMatch(
      /6\. cutover\n.*adopted where it runs, else started with the routes the state store remembers\n.*switch the proxy to the new version/,
    );
    // staging keeps its state in S3 (its own prefix and key), whose credentials are not set here: the plan still prints.
    expect(out).toContain('state not read: the state store s3://pod-protocol-deploy-state reads its credentials from STAGING_STATE_ACCESS_KEY_ID');
    expect(out).toContain('api-server 0.1.0 — last good: unknown (state not read)');
  });
});

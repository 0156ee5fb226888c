import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectFacts } from '../src/config/project.ts';
import { detectProject, groupByFolder, readProjectFiles } from '../src/inference/detect.ts';
import { inferTargets } from '../src/inference/targets.ts';

const ws = mkdtempSync(join(tmpdir(), 'nx-deploy-inference-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

function project(root: string, files: Record<string, string>) {
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(join(ws, root, f, '..'), { recursive: true });
    writeFileSync(join(ws, root, f), content);
  }
  const found = groupByFolder(Object.keys(files).map((f) => `${root}/${f}`)).get(root)!;
  return detectProject(root, readProjectFiles(ws, root, found))!;
}

const api = project('packages/api', {
  'package.json': JSON.stringify({ name: '@x/api', private: true, scripts: { build: 'tsc', start: 'node dist/main.js' }, nx: { name: 'api' } }),
  'Dockerfile.prod': 'FROM node:22-slim',
  'migrations/0001_init.sql': 'CREATE TABLE t (id TEXT);',
});
const web = project('packages/web', {
  'package.json': JSON.stringify({ name: 'web', private: true, scripts: { build: 'vite build' } }),
  'vite.config.mts': 'export default {}',
});
const sdk = project('packages/sdk', { 'package.json': JSON.stringify({ name: '@x/sdk', version: '1.0.0' }) });
const cli = project('packages/cli', { 'package.json': JSON.stringify({ name: '@x/cli', dependencies: { '@x/sdk': '^1.0.0' } }) });
const crate = project('packages/crate', { 'project.json': JSON.stringify({ name: 'crate' }), 'Cargo.toml': '[package]' });
const tagged = project('packages/tools', { 'package.json': JSON.stringify({ name: 'tools', nx: { tags: ['deploy:none'] } }) });
const all: ProjectFacts[] = [api, web, sdk, cli, crate, tagged];
const opts = { environments: ['development', 'staging', 'production'] };

describe('detectors', () => {
  it('group the files Nx matched by the folder they describe', () => {
    const folders = groupByFolder([
      'apps/api/package.json',
      'apps/api/migrations/0001.sql',
      'apps/api/prisma/schema.prisma',
      'apps/api/src/index.html',
      'index.html',
    ]);
    expect(folders.get('apps/api')).toEqual({ names: new Set(['package.json', 'migrations']), prismaSchema: true });
    expect(folders.get('apps/api/src')!.names).toEqual(new Set(['index.html']));
    expect(folders.get('.')!.names).toEqual(new Set(['index.html']));
  });

  it('find roles by artifact kind, a tag overriding', () => {
    expect(all.map((p) => [p.name, p.role])).toEqual([
      ['api', 'backend'],
      ['web', 'frontend'],
      ['@x/sdk', 'package'],
      ['@x/cli', 'package'],
      ['crate', 'package'],
      ['tools', 'none'],
    ]);
  });

  it('finds migrations and the start command of a backend', () => {
    expect(api.migrations).toBe('builtin');
    expect(api.start).toEqual(['node', 'dist/main.js']);
  });
});

describe('inferred targets and deploy graph', () => {
  it('gives a backend migrate -> rollout -> smoke -> cutover -> verify, one configuration per environment', () => {
    const t = inferTargets(api, 'backend', true, opts);
    expect(Object.keys(t)).toEqual(['predeploy', 'migrate', 'rollout', 'smoke', 'cutover', 'verify', 'loadtest', 'rollback', 'deploy']);
    expect(t.rollback!.executor).toBe('@pod-protocol/nx-deploy:rollback');
    expect(t.deploy!.options).toEqual({ steps: ['predeploy', 'migrate', 'rollout', 'smoke', 'cutover', 'verify', 'loadtest'] });
    expect(t.deploy!.configurations!.staging).toEqual({});
    expect(t.deploy!.cache).toBe(false);
    expect(t.migrate!.dependsOn).toEqual(['build']);
  });

  it('builds the image first where an environment runs containers', () => {
    const t = inferTargets(api, 'backend', true, { ...opts, runtimeOf: (env) => (env === 'development' ? 'process' : 'container') });
    expect(t.deploy!.configurations!.staging).toEqual({
      steps: ['predeploy', 'build-image', 'migrate', 'rollout', 'smoke', 'cutover', 'verify', 'loadtest'],
    });
    expect(t['build-image']!.options).toBeUndefined();
    expect(t['build-image']!.dependsOn).toEqual(['build']);
  });

  it('gives kubernetes no cut-over step: the cluster rolls itself', () => {
    const t = inferTargets(api, 'backend', true, { ...opts, runtimeOf: (env) => (env === 'production' ? 'kubernetes' : 'process') });
    expect(t.deploy!.configurations!.production).toEqual({
      steps: ['predeploy', 'build-image', 'migrate', 'rollout', 'smoke', 'verify', 'loadtest'],
    });
  });

  it("makes a frontend deploy wait for every backend's deploy, by their role tag, forwarding parameters", () => {
    expect(inferTargets(web, 'frontend', true, opts).deploy!.dependsOn).toEqual([
      'build',
      { projects: ['tag:deploy:backend'], target: 'deploy', params: 'forward' },
    ]);
    expect(inferTargets(web, 'frontend', false, opts).deploy!.dependsOn).toEqual(['build']);
  });

  it('gives whatever a deploy switches a rollback target, and a package none (a published version is never taken back)', () => {
    expect(inferTargets(web, 'frontend', true, opts).rollback!.configurations).toEqual({ development: {}, staging: {}, production: {} });
    expect(inferTargets(cli, 'package', true, opts).rollback).toBeUndefined();
  });

  it('makes a package deploy after the packages it depends on, through its publish step', () => {
    const t = inferTargets(cli, 'package', true, opts);
    expect(t.deploy!.dependsOn).toEqual(['build', { dependencies: true, target: 'deploy', params: 'forward' }]);
    expect(t.deploy!.options).toEqual({ steps: ['predeploy', 'publish-npm'] });
    expect(inferTargets(crate, 'package', true, opts).deploy!.options).toEqual({ steps: ['predeploy', 'publish-crate'] });
  });

  it('gives no default configuration to a target that changes the world; a read-only check keeps development', () => {
    const t = inferTargets(api, 'backend', true, opts);
    for (const name of ['migrate', 'rollout', 'rollback', 'deploy']) expect(t[name]!.defaultConfiguration, name).toBeUndefined();
    expect(t.smoke!.defaultConfiguration).toBe('development');
    expect(inferTargets(api, 'backend', true, { environments: ['staging'] }).smoke!.defaultConfiguration).toBeUndefined();
    expect(inferTargets(cli, 'package', true, opts)['publish-npm']!.defaultConfiguration).toBeUndefined();
  });

  it('infers nothing for role none', () => {
    expect(inferTargets(tagged, 'none', true, opts)).toEqual({});
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonProblem } from '../src/config/json-errors.ts';
import type { PlanContext } from '../src/config/context.ts';
import { fileSafeName, nameSlug } from '../src/core/names.ts';
import { nodeVersionProblem } from '../src/core/node-version.ts';
import { currentRunPid, isNxCli } from '../src/core/processes.ts';
import { COMMIT_VERSION, declaredVersion, deployVersion } from '../src/deploy/version.ts';
import { starterDeployFile } from '../src/generators/init/starter-deploy-file.ts';
import { defaultStartCommand, serviceSource } from '../src/image/service-source.ts';
import { missingEntryPoints } from '../src/publishers/entry-points.ts';
import { statusMatches } from '../src/step-kit/smoke-checks.ts';
import { deployFileSchema } from '../src/config/environments.ts';
import type { ProjectFacts } from '../src/config/project.ts';

describe('Node version guard', () => {
  it('accepts 22 and newer; names the version and the fix below it', () => {
    expect(nodeVersionProblem('22.0.0')).toBeUndefined();
    expect(nodeVersionProblem('v24.1.0')).toBeUndefined();
    expect(nodeVersionProblem('20.20.2')).toMatch(
      /^@pod-protocol\/nx-deploy needs Node\.js 22 or newer, and this is Node\.js 20\.20\.2: install Node 22/,
    );
  });
});

describe('names from scoped projects', () => {
  it('gives one path segment and a registry-valid slug', () => {
    expect(fileSafeName('@demo-ts/api')).toBe('@demo-ts__api');
    expect(nameSlug('@demo-ts/api')).toBe('demo-ts-api');
    expect(nameSlug('My_App')).toBe('my_app');
    expect(nameSlug('@a/b--c')).toBe('a-b-c');
    expect(nameSlug('api-server')).toBe('api-server');
  });
});

describe('deploy.json syntax errors', () => {
  it('name line and column for every kind of error', () => {
    expect(jsonProblem('{\n  "a": 1,\n}')).toBe('line 3, column 1: property name expected (a trailing comma?)');
    expect(jsonProblem('{\n  "a": tru\n}')).toMatch(/^line 2, column 8: invalid symbol/);
    expect(jsonProblem('{ "a": 1')).toMatch(/^line 1, column 9: close brace expected/);
    expect(jsonProblem('')).toMatch(/^line 1, column 1: /);
    expect(jsonProblem('{ "a": [1, 2] }')).toBeUndefined();
  });
});

describe('entry points missing from a tarball', () => {
  const files = ['package.json', 'src/index.js', 'src/index.d.ts', 'bin/cli.js', 'esm/index.mjs'];
  it('finds main, types, bin and every exports target that is not packed', () => {
    expect(
      missingEntryPoints(
        {
          main: './src/index.js',
          types: './src/index.d.ts',
          bin: { demo: './bin/cli.js', other: './bin/other.js' },
          exports: { '.': { import: './esm/index.mjs', require: './cjs/index.cjs' }, './package.json': './package.json', './feature/*': './f/*.js' },
        },
        files,
      ),
    ).toEqual([
      { field: 'bin.other', path: './bin/other.js' },
      { field: 'exports["."]["require"]', path: './cjs/index.cjs' },
    ]);
  });
  it('resolves main as Node does (extension, folder index)', () => {
    expect(missingEntryPoints({ main: 'src/index' }, files)).toEqual([]);
    expect(missingEntryPoints({ main: './src' }, files)).toEqual([]);
    expect(missingEntryPoints({ main: './src/missing.js' }, files)).toEqual([{ field: 'main', path: './src/missing.js' }]);
  });
});

describe('smoke status classes', () => {
  it('matches a code or classes', () => {
    expect(statusMatches(200, 200)).toBe(true);
    expect(statusMatches(200, 204)).toBe(false);
    expect(statusMatches('2xx|3xx', 302)).toBe(true);
    expect(statusMatches('2xx|3xx', 404)).toBe(false);
  });
});

describe('the Nx run a task belongs to', () => {
  const tree: Record<number, { parent?: number; argv: string[] }> = {
    40: { parent: 30, argv: ['node', '/w/node_modules/nx/dist/src/tasks-runner/fork.js'] },
    30: { parent: 20, argv: ['node', '/w/node_modules/.bin/nx', 'run-many', '-t', 'deploy'] },
    20: { parent: 10, argv: ['npm exec nx run-many'] },
    10: { argv: ['bash'] },
  };
  const proc = (pid: number) => ({ pid, parentOf: (p: number) => tree[p]?.parent, commandLineOf: (p: number) => tree[p]?.argv });
  it("uses Nx 24's NX_INVOCATION_ANCESTOR_PIDS when set, else the nearest ancestor running the Nx CLI", () => {
    expect(currentRunPid({ NX_INVOCATION_ANCESTOR_PIDS: '7,30' }, proc(40))).toBe(30);
    expect(currentRunPid({}, proc(40))).toBe(30);
    expect(currentRunPid({}, proc(10))).toBe(10);
  });
  it('knows the Nx CLI from its task processes', () => {
    expect(isNxCli(['node', '/w/node_modules/nx/bin/nx.js', 'run'])).toBe(true);
    expect(isNxCli(['node', '/w/node_modules/.bin/nx'])).toBe(true);
    expect(isNxCli(['node', '/w/node_modules/nx/bin/run-executor.js'])).toBe(false);
    expect(isNxCli(['node', '/w/node_modules/nx/dist/src/tasks-runner/fork.js'])).toBe(false);
  });
});

describe('versions and service sources', () => {
  const ws = mkdtempSync(join(tmpdir(), 'pod-version-'));
  mkdirSync(join(ws, 'dist/apps/api'), { recursive: true });
  writeFileSync(join(ws, 'dist/apps/api/package.json'), JSON.stringify({ version: '0.0.1', main: './main.js' }));
  mkdirSync(join(ws, 'packages/jobs'), { recursive: true });
  writeFileSync(join(ws, 'packages/jobs/package.json'), JSON.stringify({ version: '1.2.0' }));
  const ctx = (project: PlanContext['project']) => ({ workspaceRoot: ws, project }) as PlanContext;

  it('takes the version from package.json, the build output, the project, else the commit; never 0.0.0', () => {
    expect(declaredVersion(ws, { root: 'packages/jobs' })).toBe('1.2.0');
    expect(declaredVersion(ws, { root: 'apps/api', output: 'dist/apps/api' })).toBe('0.0.1');
    expect(declaredVersion(ws, { root: 'apps/web', version: '3.0.0' })).toBe('3.0.0');
    expect(declaredVersion(ws, { root: 'apps/web', output: 'dist/apps/web' })).toBe(COMMIT_VERSION);
    expect(deployVersion(COMMIT_VERSION, 'abcdef0123456789')).toBe('sha-abcdef012345');
    expect(deployVersion('1.2.0', 'abcdef0123456789')).toBe('1.2.0');
  });

  it('assembles from a build output outside the project, whole, and starts its main', () => {
    const source = serviceSource(ctx({ name: 'api', root: 'apps/api', output: 'dist/apps/api', version: '0.0.1' }), {}, 'api:rollout');
    expect(source).toEqual({ kind: 'output', dir: 'dist/apps/api', files: ['.'] });
    expect(defaultStartCommand(ws, source)).toEqual(['node', 'main.js']);
  });

  it('assembles from the project when the build writes inside it, or it declares no outputs', () => {
    expect(serviceSource(ctx({ name: 'jobs', root: 'packages/jobs', output: 'packages/jobs/dist', version: '1' }), {}, 't')).toMatchObject({
      kind: 'project',
      dir: 'packages/jobs',
      files: ['package.json', 'dist'],
    });
    expect(serviceSource(ctx({ name: 'jobs', root: 'packages/jobs', version: '1' }), {}, 't').kind).toBe('project');
  });

  it('refuses files that leave the source folder, and an output source with no declared outputs, naming the option', () => {
    const project = { name: 'api', root: 'apps/api', version: '1' };
    expect(() => serviceSource(ctx(project), { files: ['../../dist/apps/api'] }, 'api:rollout')).toThrow(
      /api:rollout: option files\[0\] '\.\.\/\.\.\/dist\/apps\/api' leaves apps\/api/,
    );
    expect(() => serviceSource(ctx(project), { files: ['/etc'] }, 'api:rollout')).toThrow(/option files\[0\] '\/etc' leaves/);
    expect(() => serviceSource(ctx(project), { source: 'output' }, 'api:build-image')).toThrow(
      /api:build-image: source 'output' needs .* Declare "outputs"/,
    );
  });
});

describe("nx add's starter deploy.json", () => {
  const facts = (name: string, role: ProjectFacts['role'], publish?: 'npm'): ProjectFacts => ({
    name,
    root: name,
    role,
    publish,
    dependsOnPackages: [],
  });
  it('validates as written: services on the given ports, skeletons for staging and production, npm only in production', () => {
    const file = starterDeployFile(
      [facts('api', 'backend'), facts('@demo-ts/jobs', 'backend'), facts('web', 'frontend'), facts('sdk', 'package', 'npm')],
      [4100, 4200, 4300],
    );
    const parsed = deployFileSchema.parse(file);
    expect(parsed.environments.development!.services).toEqual({
      api: { url: 'http://127.0.0.1:4100' },
      '@demo-ts/jobs': { url: 'http://127.0.0.1:4200' },
    });
    expect(parsed.environments.development!.cdn).toEqual({ web: expect.objectContaining({ provider: 'fs', url: 'http://127.0.0.1:4300' }) });
    expect(parsed.environments.staging!.services['@demo-ts/jobs']!.url).toBe('https://demo-ts-jobs.staging.example.com');
    expect(parsed.environments.staging!.services['@demo-ts/jobs']).toMatchObject({
      servers: ['staging-1.example.com'],
      serverUrl: expect.stringMatching(/^http:\/\/\{host\}:30\d\d$/),
    });
    expect(parsed.environments.production!.ssh).toMatchObject({
      privateKeyVariable: 'PRODUCTION_SSH_KEY',
      knownHostsVariable: 'PRODUCTION_SSH_KNOWN_HOSTS',
    });
    expect(parsed.environments.production!.cdn.web).toMatchObject({ provider: 's3', bucket: 'web-production', url: 'https://web.example.com' });
    expect(parsed.environments.staging!.npm).toBeUndefined();
    expect(parsed.environments.production!.approval.required).toBe(true);
    expect(parsed.environments.production!.npm).toMatchObject({ tokenVariable: 'NPM_TOKEN' });
  });
});

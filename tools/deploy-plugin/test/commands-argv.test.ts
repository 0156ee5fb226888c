import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cargoPublish, cargoRegistryEnvName, cargoUpdateWorkspace, sparseIndexPath } from '../src/commands/cargo.ts';
import { gitCreateTags, gitHasCommit, gitHead, gitListTags, gitPushTags, gitShallowClone, gitUserName } from '../src/commands/git.ts';
import { nxAffectedProjects, nxRunMany } from '../src/commands/nx.ts';
import {
  buildImage,
  composeDown,
  composeProjectContainers,
  composeUp,
  containerLogs,
  copyImage,
  engineProbe,
  inspectContainers,
  loginRegistry,
  pushImage,
  removeContainer,
  runContainer,
  startContainers,
  stopContainers,
} from '../src/commands/image.ts';
import { kustomizeBuild } from '../src/commands/kubectl.ts';
import { backupPath } from '../src/commands/migrate.ts';
import { npmAudit, npmPack } from '../src/commands/npm.ts';
import { libpqEnv, pgCreateDatabase, pgDropDatabase, pgListRelations, withDatabase } from '../src/commands/postgres.ts';
import { cargoLockedMetadata, gitleaksDir } from '../src/commands/scanners.ts';
import { staticServer } from '../src/commands/static-server.ts';
import { supervised } from '../src/commands/supervise.ts';
import { tarCreateFromList, tarExtract } from '../src/commands/tar.ts';
import { RUN_ENGINES } from '../src/commands/engines.ts';

describe('image builders', () => {
  const spec = { file: '/p/Dockerfile', context: '/ctx', tags: ['r/a:1', 'r/a:sha-abc'], buildArgs: { BASE: 'node:22' }, labels: { 'org.x': 'y' } };

  it('build with each engine, Docker format where it can be chosen', () => {
    const args = ['-f', '/p/Dockerfile', '-t', 'r/a:1', '-t', 'r/a:sha-abc', '--build-arg', 'BASE=node:22', '--label', 'org.x=y', '/ctx'];
    expect(buildImage('docker', spec)).toEqual({ argv: ['docker', 'build', ...args], env: { DOCKER_BUILDKIT: '0' } });
    expect(buildImage('podman', spec).argv).toEqual(['podman', 'build', '--format', 'docker', ...args]);
    expect(buildImage('buildah', spec).argv).toEqual(['buildah', 'bud', '--format', 'docker', ...args]);
  });

  it('build secrets: a file per id, mounted only where a RUN asks (docker then needs BuildKit)', () => {
    const secrets = { npm_token: '/tmp/s/npm_token' };
    const docker = buildImage('docker', { ...spec, secrets });
    expect(docker.argv).toEqual(expect.arrayContaining(['--secret', 'id=npm_token,src=/tmp/s/npm_token']));
    expect(docker.env).toEqual({ DOCKER_BUILDKIT: '1' });
    expect(buildImage('buildah', { ...spec, secrets }).argv.slice(-3)).toEqual(['--secret', 'id=npm_token,src=/tmp/s/npm_token', '/ctx']);
  });

  it('push writes the digest where the engine can, and keeps credentials in files', () => {
    expect(pushImage('podman', 'r/a:1', { digestFile: '/d', authFile: '/auth.json', insecure: true }).argv).toEqual([
      'podman',
      'push',
      '--tls-verify=false',
      '--digestfile',
      '/d',
      '--authfile',
      '/auth.json',
      'r/a:1',
    ]);
    expect(pushImage('buildah', 'r/a:1', { digestFile: '/d' }).argv).toEqual(['buildah', 'push', '--digestfile', '/d', 'r/a:1', 'docker://r/a:1']);
    expect(pushImage('docker', 'r/a:1', { digestFile: '/d', dockerConfig: '/cfg' })).toEqual({
      argv: ['docker', 'push', 'r/a:1'],
      env: { DOCKER_CONFIG: '/cfg' },
    });
  });

  it('logs in with the password on standard input, never in argv', () => {
    const podman = loginRegistry('podman', 'reg:5000', 'deployer', 's3cret', { authFile: '/a.json', dockerConfig: '/cfg', insecure: true });
    expect(podman).toEqual({
      argv: ['podman', 'login', '--tls-verify=false', '--authfile', '/a.json', '--username', 'deployer', '--password-stdin', 'reg:5000'],
      input: 's3cret',
    });
    const docker = loginRegistry('docker', 'reg:5000', 'deployer', 's3cret', { authFile: '/a.json', dockerConfig: '/cfg' });
    expect(docker).toEqual({
      argv: ['docker', '--config', '/cfg', 'login', '--username', 'deployer', '--password-stdin', 'reg:5000'],
      input: 's3cret',
    });
    expect(JSON.stringify([podman.argv, docker.argv])).not.toContain('s3cret');
  });

  it('promotes by digest with skopeo', () => {
    expect(copyImage('r/a@sha256:1', 'r/a:production', { authFile: '/a.json', insecure: true }).argv).toEqual([
      'skopeo',
      'copy',
      '--all',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--authfile',
      '/a.json',
      'docker://r/a@sha256:1',
      'docker://r/a:production',
    ]);
  });

  it('runs, stops, starts, inspects and removes containers', () => {
    expect(runContainer('podman', 'api-staging-1', 'r/a@sha256:1', '/env', { 'pod-protocol.deploy-id': 'd1' }).argv).toEqual([
      'podman',
      'run',
      '--detach',
      '--name',
      'api-staging-1',
      '--network',
      'host',
      '--env-file',
      '/env',
      '--label',
      'pod-protocol.deploy-id=d1',
      'r/a@sha256:1',
    ]);
    expect(stopContainers('docker', ['a', 'b']).argv).toEqual(['docker', 'stop', '--time', '10', 'a', 'b']);
    expect(startContainers('podman', ['a']).argv).toEqual(['podman', 'start', 'a']);
    expect(removeContainer('podman', 'a').argv).toEqual(['podman', 'rm', '--force', 'a']);
    expect(inspectContainers('docker', ['a', 'b']).argv).toEqual(['docker', 'inspect', '--format', '{{.State.Status}} {{.State.Pid}}', 'a', 'b']);
    expect(containerLogs('podman', 'a').argv).toEqual(['podman', 'logs', '--tail', '30', 'a']);
  });

  it('probes engines and compose', () => {
    expect(engineProbe('docker').argv).toEqual(['docker', 'version', '--format', '{{.Server.Version}}']);
    expect(engineProbe('buildah').argv).toEqual(['buildah', '--version']);
    expect(RUN_ENGINES.docker.compose.probe?.argv).toEqual(['docker', 'compose', 'version']);
    expect(RUN_ENGINES.podman.compose.probe).toBeUndefined();
  });

  it('drives compose per project, values from the environment', () => {
    expect(RUN_ENGINES.podman.compose.tool(false)).toEqual(['podman-compose']);
    expect(RUN_ENGINES.docker.compose.tool(true)).toEqual(['docker', 'compose']);
    const tool = RUN_ENGINES.docker.compose.tool(false);
    expect(composeUp(tool, '/p/dc.yml', 'api-staging-1').argv).toEqual([
      'docker-compose',
      '--project-name',
      'api-staging-1',
      '--file',
      '/p/dc.yml',
      'up',
      '--detach',
    ]);
    expect(composeDown(tool, '/p/dc.yml', 'api-staging-1').argv).toEqual([
      'docker-compose',
      '--project-name',
      'api-staging-1',
      '--file',
      '/p/dc.yml',
      'down',
    ]);
    expect(composeProjectContainers('docker', 'api-staging-1').argv).toEqual([
      'docker',
      'ps',
      '--all',
      '--quiet',
      '--filter',
      'label=com.docker.compose.project=api-staging-1',
    ]);
  });
});

describe('release builders', () => {
  it('git', () => {
    expect(gitUserName().argv).toEqual(['git', 'config', 'user.name']);
    expect(gitHead().argv).toEqual(['git', 'rev-parse', 'HEAD']);
    expect(gitListTags().argv).toEqual(['git', 'tag', '--list']);
    expect(gitCreateTags(['@pod/sdk@0.2.0', 'cli@1.0.0'])).toEqual({
      argv: ['git', 'update-ref', '--stdin'],
      input: 'start\ncreate refs/tags/@pod/sdk@0.2.0 HEAD\ncreate refs/tags/cli@1.0.0 HEAD\ncommit\n',
    });
    expect(gitPushTags('origin', ['a@1']).argv).toEqual(['git', 'push', 'origin', 'refs/tags/a@1']);
    expect(gitShallowClone('http://x/git', '/d', true).argv).toEqual(['git', 'clone', '--quiet', '--depth', '1', 'http://x/git', '/d']);
    expect(gitShallowClone('http://x/git', '/d', false).argv).toEqual(['git', 'clone', '--quiet', 'http://x/git', '/d']);
    expect(gitHasCommit('abc').argv).toEqual(['git', 'cat-file', '-e', 'abc^{commit}']);
  });

  it('npm: one pack for many folders', () => {
    expect(npmPack(['/a', '/b'], '/out').argv).toEqual(['npm', 'pack', '--json', '--pack-destination', '/out', '/a', '/b']);
  });

  it('cargo', () => {
    expect(cargoPublish('/c/Cargo.toml', 'pod-staging', { allowDirty: true }).argv).toEqual([
      'cargo',
      'publish',
      '--manifest-path',
      '/c/Cargo.toml',
      '--registry',
      'pod-staging',
      '--allow-dirty',
    ]);
    expect(cargoPublish('/c/Cargo.toml', 'crates-io').argv).toEqual(['cargo', 'publish', '--manifest-path', '/c/Cargo.toml']);
    expect(cargoUpdateWorkspace('/c/Cargo.toml').argv).toEqual(['cargo', 'update', '--workspace', '--offline', '--manifest-path', '/c/Cargo.toml']);
    expect(cargoRegistryEnvName('pod-staging')).toBe('POD_STAGING');
    expect(['ab', 'abc', 'serde'].map(sparseIndexPath)).toEqual(['2/ab', '3/a/abc', 'se/rd/serde']);
  });
});

describe('nx', () => {
  it('asks Nx what is affected since a base, and runs a target over exactly some projects', () => {
    expect(nxAffectedProjects('abc').argv).toEqual(['nx', 'show', 'projects', '--affected', '--base', 'abc', '--head', 'HEAD', '--json']);
    expect(nxRunMany('deploy', ['api', 'web'], { configuration: 'staging', excludeTaskDependencies: true, extra: ['--lock-wait=5m'] }).argv).toEqual([
      'nx',
      'run-many',
      '-t',
      'deploy',
      '-p',
      'api',
      'web',
      '-c',
      'staging',
      '--exclude-task-dependencies',
      '--output-style=static',
      '--lock-wait=5m',
    ]);
    expect(nxRunMany('build', ['api']).argv).toEqual(['nx', 'run-many', '-t', 'build', '-p', 'api', '--output-style=static']);
  });
});

describe('other builders', () => {
  it('postgres reads its connection from libpq variables', () => {
    expect(libpqEnv('postgresql://u:p%40ss@h/db?sslmode=require')).toEqual({
      PGHOST: 'h',
      PGPORT: '5432',
      PGDATABASE: 'db',
      PGUSER: 'u',
      PGPASSWORD: 'p@ss',
      PGSSLMODE: 'require',
    });
    expect(pgListRelations('postgres://h/db').argv).toEqual([
      'psql',
      '--no-psqlrc',
      '--tuples-only',
      '--no-align',
      '--command',
      expect.stringContaining('FROM pg_class'),
    ]);
  });

  it('backups are named after the ledger entry', () => {
    expect(backupPath('/s', 'staging', 'api', 'd1', 'dump')).toBe('/s/backups/staging/api/d1.dump');
  });

  it('kustomize, tar and the service supervisor', () => {
    expect(kustomizeBuild('/k').argv).toEqual(['kubectl', 'kustomize', '/k']);
    expect(tarCreateFromList('/w', '/list', 's,^a/,,').argv).toEqual([
      'tar',
      '-C',
      '/w',
      '--no-recursion',
      '--null',
      '-T',
      '/list',
      '--transform',
      's,^a/,,',
      '-cf',
      '-',
    ]);
    expect(tarExtract('/ctx').argv).toEqual(['tar', '-C', '/ctx', '-xf', '-']);
    expect(supervised('/sup.js', '/log', ['node', 'dist/main.js']).argv).toEqual([process.execPath, '/sup.js', '/log', 'node', 'dist/main.js']);
  });

  it("an fs site's static server", () => {
    expect(staticServer('/serve.js', '/site', '127.0.0.1', 4200).argv).toEqual([process.execPath, '/serve.js', '/site', '127.0.0.1', '4200']);
  });

  it('pre-deployment checks: npm audit of production dependencies, a scratch database, gitleaks, cargo --locked', () => {
    expect(npmAudit({}).argv).toEqual(['npm', 'audit', '--json', '--omit=dev']);
    expect(npmAudit({ registry: 'http://127.0.0.1:9/' }).argv.slice(-2)).toEqual(['--registry', 'http://127.0.0.1:9/']);
    const url = 'postgres://pod:pw@db:5432/pod';
    expect(pgCreateDatabase(url, 'pod_predeploy_1a').argv.at(-1)).toBe('CREATE DATABASE "pod_predeploy_1a"');
    expect(pgCreateDatabase(url, 'x').argv.join(' ')).not.toContain('pw');
    expect(pgDropDatabase(url, 'a"b').argv.at(-1)).toBe('DROP DATABASE IF EXISTS "a""b" WITH (FORCE)');
    expect(withDatabase(url, 'pod_predeploy_1a')).toBe('postgres://pod:pw@db:5432/pod_predeploy_1a');
    expect(gitleaksDir('/bin/gitleaks', '/dist', '/tmp/r.json').argv).toEqual([
      '/bin/gitleaks',
      'dir',
      '/dist',
      '--no-banner',
      '--redact',
      '--report-format',
      'json',
      '--report-path',
      '/tmp/r.json',
      '--exit-code',
      '1',
    ]);
    expect(cargoLockedMetadata('/c/Cargo.toml').argv).toEqual([
      'cargo',
      'metadata',
      '--locked',
      '--offline',
      '--format-version',
      '1',
      '--manifest-path',
      '/c/Cargo.toml',
    ]);
  });

  it('every builder in src/commands has an argv test', () => {
    const dir = join(import.meta.dirname, '..', 'src', 'commands');
    const tests = readdirSync(import.meta.dirname)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(join(import.meta.dirname, f), 'utf8'))
      .join('\n');
    const builders = readdirSync(dir).flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/^export function (\w+)/gm)].map((m) => m[1]!));
    expect(builders.filter((b) => !new RegExp(`\\b${b}[()]`).test(tests))).toEqual([]);
  });
});

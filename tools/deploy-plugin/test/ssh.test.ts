import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  describeOnServer,
  inHome,
  makeTempDir,
  remoteCommandLine,
  removePaths,
  shellEnvFile,
  shellQuote,
  sshCheck,
  sshExit,
  sshForward,
  sshMaster,
  sshRun,
  withEnvFile,
  withEnvFromStdin,
  withPrivateFileFromStdin,
  writePrivateFile,
} from '../src/commands/ssh.ts';
import { loginRegistry, pullImage } from '../src/commands/image.ts';
import { parseServer, urlHost } from '../src/core/ssh-target.ts';
import { placementsOf } from '../src/config/servers.ts';
import { deployFileSchema } from '../src/config/environments.ts';
import { classifySshFailure, describeSshFailure } from '../src/hosts/ssh-errors.ts';
import { rollingGroups } from '../src/runtimes/rolling.ts';

const files = { identity: '/k/key', knownHosts: '/k/known_hosts', controlPath: '/k/1.sock' };
const target = parseServer('deploy@10.0.0.5');

// Every word a config or a secret could hold: quotes of both kinds, $, backquotes, globs, newlines,
// leading dashes, semicolons, empty, unicode.
const NASTY = [
  "it's",
  '"double"',
  '$HOME',
  '`id`',
  '$(id)',
  '*',
  'a b\tc',
  'line1\nline2',
  '-rf',
  ';rm -rf /',
  '',
  'ünïcødé',
  "'",
  "\\'",
  '!x',
  '&',
  '|',
  '~',
];

describe('quoting for the remote shell', () => {
  it('leaves plain words alone and single-quotes everything else', () => {
    expect(shellQuote('podman')).toBe('podman');
    expect(shellQuote('10.0.0.5:5000/api@sha256:ab')).toBe('10.0.0.5:5000/api@sha256:ab');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    expect(shellQuote('$HOME')).toBe(`'$HOME'`);
    expect(remoteCommandLine(['echo', 'a b', '$(id)'])).toBe(`echo 'a b' '$(id)'`);
  });

  // The proof that matters: what each POSIX shell a server may have hands the program, word for word.
  for (const sh of ['/bin/sh', '/bin/dash', '/bin/bash']) {
    it.runIf(existsSync(sh))(`${sh} reads every word back exactly`, () => {
      const line = remoteCommandLine(['printf', '%s\\0', ...NASTY]);
      const out = execFileSync(sh, ['-c', line], { encoding: 'utf8' });
      expect(out.split('\0').slice(0, -1)).toEqual(NASTY);
    });
  }

  it('env files read back exactly, and the file is removed before the command starts', () => {
    const env = Object.fromEntries(NASTY.map((v, i) => [`V${i}`, v]));
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    const file = `${dir}/env`;
    const write = writePrivateFile(file, shellEnvFile(env));
    execFileSync(write.argv[0]!, write.argv.slice(1), { input: write.input });
    expect((execFileSync('stat', ['-c', '%a', file], { encoding: 'utf8' }) as string).trim()).toBe('600');
    const argv = withEnvFile(file, [
      'sh',
      '-c',
      `printf '%s\\0' ${NASTY.map((_, i) => `"$V${i}"`).join(' ')}; if test -e "$0"; then echo STILL-THERE; fi`,
      file,
    ]);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(NASTY);
    expect(out).not.toContain('STILL-THERE');
    execFileSync('rm', ['-rf', dir]);
  });

  it('variables through standard input: read back exactly, their file gone before the command starts', () => {
    const env = Object.fromEntries(NASTY.map((v, i) => [`V${i}`, v]));
    const argv = withEnvFromStdin([
      'sh',
      '-c',
      `printf '%s\\0' ${NASTY.map((_, i) => `"$V${i}"`).join(' ')}; ls "\${TMPDIR:-/tmp}" | grep -c '^tmp\\.' || true`,
    ]);
    const before = execFileSync('sh', ['-c', `ls "\${TMPDIR:-/tmp}" | grep -c '^tmp\\.' || true`], { encoding: 'utf8' });
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input: shellEnvFile(env) });
    const parts = out.split('\0');
    expect(parts.slice(0, -1)).toEqual(NASTY);
    expect(parts.at(-1)!.trim()).toBe(before.trim());
  });

  it('a private file for one command: 0600 while it runs, gone after, its exit code passed on', () => {
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    const file = `${dir}/sub/1-env`;
    const argv = withPrivateFileFromStdin(file, ['sh', '-c', 'stat -c %a "$0"; cat "$0"; exit 3', file]);
    const res = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input: 'A=1\n' });
    expect(res.status).toBe(3);
    expect(res.stdout).toBe('600\nA=1\n');
    expect(existsSync(file)).toBe(false);
    execFileSync('rm', ['-rf', dir]);
  });
});

describe('ssh builders', () => {
  const common = [
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'UserKnownHostsFile=/k/known_hosts',
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'ConnectTimeout=10',
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=3',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ControlPath=/k/1.sock',
    '-i',
    '/k/key',
    '-p',
    '22',
    '-l',
    'deploy',
  ];

  it('one master per server, host keys pinned, nothing trusted on first use', () => {
    expect(sshMaster(target, files).argv).toEqual(['ssh', ...common, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=no', '-N', '--', '10.0.0.5']);
    expect(sshCheck(target, files).argv).toEqual(['ssh', ...common, '-O', 'check', '--', '10.0.0.5']);
    expect(sshExit(target, files).argv).toEqual(['ssh', ...common, '-O', 'exit', '--', '10.0.0.5']);
  });

  it('runs a command through the master, quoted, its input (secrets) on standard input', () => {
    const cmd = sshRun(target, files, { argv: ['podman', 'login', '--password-stdin', 'r:5000'], input: 's3cret' }, 'shown');
    expect(cmd).toEqual({
      argv: ['ssh', ...common, '-o', 'ControlMaster=no', '--', '10.0.0.5', 'podman login --password-stdin r:5000'],
      input: 's3cret',
      timeoutMs: undefined,
      shown: 'shown',
    });
    expect(cmd.argv.join(' ')).not.toContain('s3cret');
  });

  it('forwards a local port to what the server reaches, and cancels it', () => {
    expect(sshForward(target, files, 15432, { host: 'db.internal', port: 5432 }).argv.slice(-6)).toEqual([
      '-O',
      'forward',
      '-L',
      '127.0.0.1:15432:db.internal:5432',
      '--',
      '10.0.0.5',
    ]);
    expect(sshForward(target, files, 15432, { host: 'fd00::9', port: 5432 }, true).argv).toContain('127.0.0.1:15432:[fd00::9]:5432');
    expect(sshForward(target, files, 1, { host: 'h', port: 2 }, true).argv).toContain('cancel');
  });

  it('private files, temp folders and removal', () => {
    expect(writePrivateFile('/t/1-env', 'A=1\n')).toEqual({
      argv: ['sh', '-c', 'umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1"', 'sh', '/t/1-env'],
      input: 'A=1\n',
    });
    expect(makeTempDir().argv).toEqual(['sh', '-c', 'umask 077 && mktemp -d "${TMPDIR:-/tmp}/nx-deploy.XXXXXXXX"']);
    expect(inHome(['ls'])).toEqual(['sh', '-c', 'cd && exec "$@"', 'sh', 'ls']);
    expect(removePaths(['/t/a', '/t/b']).argv).toEqual(['rm', '-rf', '--', '/t/a', '/t/b']);
    expect(shellEnvFile({ A: "it's", B: 'x' })).toBe(`A='it'\\''s'\nB=x\n`);
    expect(withEnvFile('/t/env', ['docker-compose', 'up'])).toEqual([
      'sh',
      '-c',
      'cd && set -a && . "$1" && set +a && rm -f -- "$1" && shift && exec "$@"',
      'sh',
      '/t/env',
      'docker-compose',
      'up',
    ]);
  });

  it('shows a command on a server by its label, variables by name only', () => {
    expect(describeOnServer('deploy@h', { argv: ['podman', 'ps'], env: { DATABASE_URL: 'postgres://u:pw@db/x' } }).shown).toBe(
      'deploy@h: DATABASE_URL=(from a private env file) podman ps',
    );
  });

  it('pulls by digest with a temporary auth file, or a docker config folder', () => {
    expect(pullImage('podman', 'r/a@sha256:1', { authFile: '/t/auth.json', insecure: true }).argv).toEqual([
      'podman',
      'pull',
      '--quiet',
      '--tls-verify=false',
      '--authfile',
      '/t/auth.json',
      'r/a@sha256:1',
    ]);
    expect(pullImage('docker', 'r/a@sha256:1', { dockerConfig: '/t/docker' }).argv).toEqual([
      'docker',
      '--config',
      '/t/docker',
      'pull',
      'r/a@sha256:1',
    ]);
    expect(pullImage('podman', 'r/a@sha256:1', {}).argv).toEqual(['podman', 'pull', '--quiet', 'r/a@sha256:1']);
    expect(loginRegistry('podman', 'r', 'u', 'pw', { authFile: '/t/a', dockerConfig: '/t' }).argv).not.toContain('pw');
  });
});

describe('servers in deploy.json', () => {
  it('parses host, user@host and ssh://user@host:port', () => {
    expect(parseServer('10.0.0.5')).toEqual({ user: undefined, host: '10.0.0.5', port: 22, label: '10.0.0.5' });
    expect(parseServer('10.0.0.5', { user: 'deploy', port: 2200 })).toMatchObject({ user: 'deploy', port: 2200 });
    expect(parseServer('ops@web-1.internal')).toMatchObject({ user: 'ops', host: 'web-1.internal', port: 22 });
    expect(parseServer('ssh://ops@10.0.0.6:2222', { user: 'x', port: 22 })).toMatchObject({ user: 'ops', host: '10.0.0.6', port: 2222 });
    expect(parseServer('ssh://[fd00::5]:2222')).toMatchObject({ host: 'fd00::5', port: 2222 });
    expect(urlHost(parseServer('root@fd00::5'))).toBe('[fd00::5]');
  });

  it('refuses what ssh could read as an option, shell characters and bad ports', () => {
    for (const bad of ['-oProxyCommand=id', 'root@-oProxyCommand=id', 'a;b', 'a b', '$(id)', 'ssh://h:0', 'ssh://h:70000', '-l@h', 'ssh://h:22/x']) {
      expect(() => parseServer(bad), bad).toThrow();
    }
  });

  it("derives each server's URL from the service URL, or from serverUrl", () => {
    const ssh = { user: 'deploy', port: 22 };
    expect(placementsOf({ url: 'https://api.example.com:3200/', servers: ['10.0.0.5', '10.0.0.6'] }, ssh).map((p) => p.url)).toEqual([
      'https://10.0.0.5:3200',
      'https://10.0.0.6:3200',
    ]);
    expect(placementsOf({ url: 'https://api.example.com', servers: ['fd00::5'], serverUrl: 'http://{host}:3000' }, ssh)[0]!.url).toBe(
      'http://[fd00::5]:3000',
    );
    expect(placementsOf({ url: 'http://x' }, ssh)).toEqual([]);
  });

  const file = (service: Record<string, unknown>, env: Record<string, unknown> = {}) =>
    deployFileSchema.safeParse({
      environments: {
        staging: {
          runtime: 'container',
          ssh: { privateKeyVariable: 'SSH_KEY', knownHostsVariable: 'SSH_KNOWN_HOSTS' },
          services: { api: { url: 'http://api:3200', ...service } },
          ...env,
        },
      },
    });
  const paths = (r: ReturnType<typeof file>) => (r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));

  it('accepts servers on the container and compose runtimes', () => {
    expect(paths(file({ servers: ['deploy@10.0.0.5', 'ssh://deploy@10.0.0.6:2222'], rollout: { parallel: 2 }, migrate: { on: 'server' } }))).toEqual(
      [],
    );
  });

  it('names the field of each mistake', () => {
    expect(paths(file({ servers: ['-oProxyCommand=x'] }))[0]).toMatch(/^environments\.staging\.services\.api\.servers\.0: /);
    expect(paths(file({ servers: ['a', 'a'] }))).toEqual(['environments.staging.services.api.servers.1: a is listed twice']);
    expect(paths(file({ servers: ['a'] }, { runtime: 'process' }))[0]).toMatch(/servers: servers are for the container and compose runtimes/);
    expect(paths(file({ servers: ['a'] }, { ssh: undefined }))[0]).toMatch(/^environments\.staging\.ssh: api names servers/);
    expect(paths(file({ migrate: { on: 'server' } }))[0]).toMatch(/migrate\.on: migrating from a server needs the service to name its servers/);
    expect(paths(file({ serverUrl: 'http://10.0.0.5:3000' }))[0]).toMatch(/serverUrl: expected http:\/\/\{host\}:PORT/);
    expect(
      paths(file({ servers: ['a'] }, { ssh: { privateKeyVariable: 'K', knownHostsVariable: 'H', knownHosts: ['a ssh-ed25519 AAAA'] } })),
    ).toEqual(['environments.staging.ssh.knownHosts: give the pinned host keys once: knownHostsVariable or knownHosts']);
  });
});

describe('ssh failures for people', () => {
  const where = { envName: 'staging', keyVariable: 'SSH_KEY', knownHosts: 'the known_hosts in SSH_KNOWN_HOSTS', port: 2222, host: '10.0.0.5' };
  const changed = `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Host key verification failed.`;

  it('tells a changed host key from an unknown one, a refused key, an unreadable key and an unreachable server', () => {
    expect(classifySshFailure(changed)).toBe('host-key-changed');
    expect(
      classifySshFailure('No ED25519 host key is known for [10.0.0.5]:2222 and you have requested strict checking.\nHost key verification failed.'),
    ).toBe('host-key-unknown');
    expect(classifySshFailure('deploy@10.0.0.5: Permission denied (publickey).')).toBe('key-refused');
    expect(classifySshFailure('Load key "/k/key": invalid format\ndeploy@10.0.0.5: Permission denied (publickey).')).toBe('bad-key');
    expect(classifySshFailure('ssh: connect to host 10.0.0.5 port 2222: Connection refused')).toBe('unreachable');
    expect(classifySshFailure('something else')).toBe('other');
  });

  it('names the server, the fields and what to do', () => {
    const text = describeSshFailure('deploy@10.0.0.5', changed, where);
    expect(text).toMatch(/^deploy@10\.0\.0\.5: its host key is not the one pinned in the known_hosts in SSH_KNOWN_HOSTS/);
    expect(text).toContain('the server was replaced or someone is in between');
    expect(text).toContain('ssh-keyscan -p 2222 10.0.0.5');
    expect(describeSshFailure('h', 'Permission denied (publickey).', where)).toContain('refused the key in SSH_KEY');
  });
});

describe('rolling groups', () => {
  it('one server at a time by default, N at a time with parallel', () => {
    expect(rollingGroups(['a', 'b', 'c'], 1)).toEqual([['a'], ['b'], ['c']]);
    expect(rollingGroups(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(rollingGroups(['a', 'b'], 4)).toEqual([['a', 'b']]);
    expect(rollingGroups([], 1)).toEqual([]);
  });
});

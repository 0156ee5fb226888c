import type { Command } from '../core/run.ts';
import type { SshTarget } from '../core/ssh-target.ts';

/** The files one deploy's SSH connections use: the private key, the pinned host keys, the control socket. */
export interface SshFiles {
  identity: string;
  knownHosts: string;
  /** The ControlMaster socket of this server (one connection per server for the whole deploy). */
  controlPath: string;
}

/**
 * Pure: one argument quoted for a POSIX shell (sh, dash, bash, zsh), which is what runs a command
 * sent over SSH: words of safe characters as they are, anything else in single quotes, with each
 * single quote written as '\''. The only way a remote command line is made from an argv.
 */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Pure: the command line the remote shell runs for an argv: every word quoted by shellQuote. */
export function remoteCommandLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Options of every connection: pinned host keys only, this key only, never a prompt, one control socket. */
function connectionOptions(files: SshFiles, target: SshTarget): string[] {
  const o = (kv: string) => ['-o', kv];
  return [
    ...o('BatchMode=yes'),
    ...o('StrictHostKeyChecking=yes'),
    ...o(`UserKnownHostsFile=${files.knownHosts}`),
    ...o('GlobalKnownHostsFile=/dev/null'),
    ...o('IdentitiesOnly=yes'),
    ...o('IdentityAgent=none'),
    ...o('ConnectTimeout=10'),
    ...o('ServerAliveInterval=15'),
    ...o('ServerAliveCountMax=3'),
    ...o('LogLevel=ERROR'),
    ...o(`ControlPath=${files.controlPath}`),
    '-i',
    files.identity,
    '-p',
    String(target.port),
    ...(target.user ? ['-l', target.user] : []),
  ];
}

/** The one connection of a deploy to a server (ControlMaster), kept open in the foreground until told to exit. */
export function sshMaster(target: SshTarget, files: SshFiles): Command {
  return { argv: ['ssh', ...connectionOptions(files, target), '-o', 'ControlMaster=yes', '-o', 'ControlPersist=no', '-N', '--', target.host] };
}

/** Asks the control socket whether the connection is up (exit 0) — nothing runs on the server. */
export function sshCheck(target: SshTarget, files: SshFiles): Command {
  return { argv: ['ssh', ...connectionOptions(files, target), '-O', 'check', '--', target.host], timeoutMs: 10_000 };
}

/** Closes the connection. */
export function sshExit(target: SshTarget, files: SshFiles): Command {
  return { argv: ['ssh', ...connectionOptions(files, target), '-O', 'exit', '--', target.host], timeoutMs: 10_000 };
}

/**
 * Forwards a local port through the server's connection to an address the server reaches (a database
 * only it can see) or to a unix socket there (a proxy's runtime API).
 */
export function sshForward(
  target: SshTarget,
  files: SshFiles,
  localPort: number,
  to: { host: string; port: number } | { socket: string },
  cancel = false,
): Command {
  const remote = 'socket' in to ? to.socket : `${to.host.includes(':') ? `[${to.host}]` : to.host}:${to.port}`;
  return {
    argv: [
      'ssh',
      ...connectionOptions(files, target),
      '-O',
      cancel ? 'cancel' : 'forward',
      '-L',
      `127.0.0.1:${localPort}:${remote}`,
      '--',
      target.host,
    ],
    timeoutMs: 15_000,
  };
}

/**
 * A command run on the server through the deploy's connection: its argv quoted word by word for
 * the remote shell; its standard input (secrets) passed through; how it is shown to people.
 */
export function sshRun(target: SshTarget, files: SshFiles, cmd: Command, shown: string): Command {
  return {
    argv: ['ssh', ...connectionOptions(files, target), '-o', 'ControlMaster=no', '--', target.host, remoteCommandLine(cmd.argv)],
    input: cmd.input,
    timeoutMs: cmd.timeoutMs,
    shown,
  };
}

/** How a command run on a server reads for people: `deploy@10.0.0.5: podman pull ...`. */
export function describeOnServer(label: string, cmd: Command): Command {
  const env = cmd.env && Object.keys(cmd.env).length ? `${Object.keys(cmd.env).join(',')}=(from a private env file) ` : '';
  return { argv: cmd.argv, shown: `${label}: ${env}${remoteCommandLine(cmd.argv)}` };
}

/** Writes standard input to a file only its owner can read (its folder made if missing; a relative path is in the home folder). */
export function writePrivateFile(path: string, content: string): Command {
  return { argv: ['sh', '-c', 'umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1"', 'sh', path], input: content };
}

/** Lines `NAME='value'` that a POSIX shell reads back exactly (values quoted by shellQuote). */
export function shellEnvFile(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
    .join('');
}

/**
 * Runs `argv` in the login's home folder (where the deploy keeps its files on a server, under
 * .nx-deploy/), whatever folder the server's sshd starts commands in.
 */
export function inHome(argv: string[]): string[] {
  return ['sh', '-c', 'cd && exec "$@"', 'sh', ...argv];
}

/**
 * inHome, with the variables of an env file written by writePrivateFile + shellEnvFile, which it
 * removes before the command starts: values (secrets) never appear on a command line.
 */
export function withEnvFile(envFile: string, argv: string[]): string[] {
  return ['sh', '-c', 'cd && set -a && . "$1" && set +a && rm -f -- "$1" && shift && exec "$@"', 'sh', envFile, ...argv];
}

/**
 * inHome, with the variables read from standard input (shellEnvFile lines) into a 0600 temporary
 * file that is sourced and removed before the command starts: one round trip, no value on a
 * command line. For commands that need no standard input of their own.
 */
export function withEnvFromStdin(argv: string[]): string[] {
  return ['sh', '-c', 'cd && umask 077 && f=$(mktemp) && cat > "$f" && set -a && . "$f" && set +a && rm -f -- "$f" && exec "$@"', 'sh', ...argv];
}

/**
 * inHome, with a private file (0600) at `path` written from standard input for the command's run
 * only: removed when it ends, whatever its exit code, which is passed on. One round trip.
 */
export function withPrivateFileFromStdin(path: string, argv: string[]): string[] {
  return [
    'sh',
    '-c',
    'cd && f=$1 && shift && umask 077 && mkdir -p -- "$(dirname -- "$f")" && cat > "$f" || exit 1; "$@"; rc=$?; rm -f -- "$f"; exit $rc',
    'sh',
    path,
    ...argv,
  ];
}

/** A private temporary folder on the server (its path on standard output). */
export function makeTempDir(): Command {
  return { argv: ['sh', '-c', 'umask 077 && mktemp -d "${TMPDIR:-/tmp}/nx-deploy.XXXXXXXX"'] };
}

export function removePaths(paths: string[]): Command {
  return { argv: ['rm', '-rf', '--', ...paths] };
}

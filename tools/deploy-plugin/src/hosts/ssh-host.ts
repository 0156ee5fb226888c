import {
  makeTempDir,
  removePaths,
  describeOnServer,
  inHome,
  shellEnvFile,
  sshCheck,
  sshExit,
  sshForward,
  sshMaster,
  sshRun,
  withEnvFile,
  withEnvFromStdin,
  withPrivateFileFromStdin,
  writePrivateFile,
  type SshFiles,
} from '../commands/ssh.ts';
import { UserError } from '../core/errors.ts';
import type { Host, RunOptions } from '../core/host.ts';
import { CommandFailed, type Background, type Command, type RunResult, type Runner } from '../core/run.ts';
import type { SshTarget } from '../core/ssh-target.ts';
import { freeLocalPort } from '../core/ports.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One of the environment's servers, reached through OpenSSH with one connection (ControlMaster)
 * for the whole deploy: every command is an argv quoted word by word for the remote shell, its
 * variables go through a private env file written from standard input, and files the deploy needs
 * there live in a private temporary folder removed when the deploy closes the connection.
 */
export class SshHost implements Host {
  readonly remote = true;
  readonly label: string;
  readonly target: SshTarget;
  private readonly files: SshFiles;
  private readonly runner: Runner;
  private master?: Background;
  private tempDir?: Promise<string>;
  private written = 0;
  private readonly made = new Map<string, string>();
  /** Forwards opened by reach(), by what they reach; they end with the connection. */
  private readonly reached = new Map<string, Promise<{ host: string; port: number }>>();

  constructor(target: SshTarget, files: SshFiles, runner: Runner) {
    this.target = target;
    this.label = target.label;
    this.files = files;
    this.runner = runner;
  }

  /**
   * Opens the connection (runs nothing on the server) and waits until it is up. Resolves to
   * undefined, or to what ssh said when it could not connect (the host key, the key, the network).
   */
  async connect(timeoutMs = 20_000): Promise<string | undefined> {
    this.master = this.runner.background({ ...sshMaster(this.target, this.files), shown: `ssh ${this.label} (one connection for this deploy)` });
    let ended: { exitCode: number; stderr: string } | undefined;
    void this.master.ended.then((e) => (ended = e));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (ended) return ended.stderr || `ssh exited with ${ended.exitCode}`;
      const up = await this.runner.run(sshCheck(this.target, this.files), { quiet: true, allowFailure: true });
      if (up.exitCode === 0) return undefined;
      await sleep(100);
    }
    this.master.stop();
    return `no connection within ${timeoutMs / 1000} s`;
  }

  describe(cmd: Command): Command {
    return describeOnServer(this.label, cmd);
  }

  async run(cmd: Command, opts: RunOptions = {}): Promise<RunResult> {
    if (cmd.cwd) throw new Error(`internal: a command for ${this.label} cannot take a local working folder (${cmd.cwd})`);
    let sent: Command = { ...cmd, argv: inHome(cmd.argv) };
    if (cmd.env && Object.keys(cmd.env).length) {
      const env = shellEnvFile(Object.fromEntries(Object.entries(cmd.env).filter((e): e is [string, string] => e[1] !== undefined)));
      // The variables ride standard input when the command needs none itself; else a private file first.
      sent =
        cmd.input === undefined
          ? { ...cmd, argv: withEnvFromStdin(cmd.argv), input: env }
          : { ...cmd, argv: withEnvFile(await this.writePrivateFile('env', env), cmd.argv) };
    }
    return this.send(cmd, sent, opts);
  }

  async runWithPrivateFile(name: string, content: string, build: (path: string) => Command, opts: RunOptions = {}): Promise<RunResult> {
    const path = `${await this.privateDir()}/${++this.written}-${name}`;
    const cmd = build(path);
    if (cmd.input !== undefined || cmd.env) throw new Error(`internal: ${cmd.argv[0]} with a private file takes no input or variables of its own`);
    return this.send(cmd, { ...cmd, argv: withPrivateFileFromStdin(path, cmd.argv), input: content }, opts);
  }

  /** Sends `sent` (what `cmd` became for the remote shell) through the connection; shown as `cmd`. */
  private async send(cmd: Command, sent: Command, opts: RunOptions): Promise<RunResult> {
    const ssh = sshRun(this.target, this.files, sent, this.describe(cmd).shown!);
    let res: RunResult;
    try {
      res = await this.runner.run(ssh, opts);
    } catch (err) {
      if (err instanceof CommandFailed && err.result.exitCode === 255) await this.assertConnected(cmd, err.result);
      throw err;
    }
    if (res.exitCode === 255) await this.assertConnected(cmd, res);
    return res;
  }

  /** 255 is ssh's own failure, but a command may exit 255 too: the connection is asked before it is blamed. */
  private async assertConnected(cmd: Command, res: RunResult): Promise<void> {
    if (await this.alive()) return;
    throw new UserError(
      `${this.label}: the SSH connection was lost while running ${this.describe(cmd).shown}: ${res.stderr.trim().split('\n').at(-1)}`,
    );
  }

  async writePrivateFile(name: string, content: string): Promise<string> {
    const top = `${await this.privateDir()}/${++this.written}-${name.split('/')[0]}`;
    const path = [top, ...name.split('/').slice(1)].join('/');
    await this.run(writePrivateFile(path, content), { quiet: true });
    this.made.set(path, top);
    return path;
  }

  async removePrivateFile(path: string): Promise<void> {
    await this.run(removePaths([this.made.get(path) ?? path]), { quiet: true, allowFailure: true });
    this.made.delete(path);
  }

  /** Forwards a free local port to `to` as the server sees it; `close` cancels the forward. */
  async forward(to: { host: string; port: number } | { socket: string }): Promise<{ port: number; close(): Promise<void> }> {
    const port = await freeLocalPort();
    await this.runner.run(sshForward(this.target, this.files, port, to), { quiet: true });
    return {
      port,
      close: async () => void (await this.runner.run(sshForward(this.target, this.files, port, to, true), { quiet: true, allowFailure: true })),
    };
  }

  reach = (async (to: { host: string; port: number } | { socket: string }) => {
    const key = JSON.stringify(to);
    let pending = this.reached.get(key);
    if (!pending) {
      pending = this.forward(to).then((f) => ({ host: '127.0.0.1', port: f.port }));
      pending.catch(() => this.reached.delete(key));
      this.reached.set(key, pending);
    }
    return pending;
  }) as Host['reach'];

  /** Removes the deploy's private folder on the server, then closes the connection. */
  async close(): Promise<void> {
    if (!this.master) return;
    if (this.tempDir) {
      const dir = await this.tempDir.catch(() => undefined);
      if (dir) await this.run(removePaths([dir]), { quiet: true, allowFailure: true }).catch(() => undefined);
    }
    await this.runner.run(sshExit(this.target, this.files), { quiet: true, allowFailure: true }).catch(() => undefined);
    this.master.stop();
    await this.master.ended;
    this.master = undefined;
  }

  /** Drops the connection without a word to the server (an exit that cannot wait). */
  drop(): void {
    this.master?.stop();
  }

  private async alive(): Promise<boolean> {
    return (await this.runner.run(sshCheck(this.target, this.files), { quiet: true, allowFailure: true })).exitCode === 0;
  }

  private privateDir(): Promise<string> {
    this.tempDir ??= this.runner.run(sshRun(this.target, this.files, makeTempDir(), `${this.label}: mktemp -d`), { quiet: true }).then((r) => {
      const dir = r.stdout.trim().split('\n').at(-1) ?? '';
      if (!dir.startsWith('/')) throw new UserError(`${this.label}: could not make a private temporary folder (mktemp printed '${dir}')`);
      return dir;
    });
    return this.tempDir;
  }
}

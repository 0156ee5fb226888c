import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command, RunResult, Runner } from './run.ts';

export interface RunOptions {
  quiet?: boolean;
  allowFailure?: boolean;
}

/**
 * Where a service's engine commands run: this machine, or one of the environment's servers over
 * SSH. Runtimes speak only to a Host, so the same container and compose code serves both.
 */
export interface Host {
  /** `this machine`, or the server as deploy.json names it (`deploy@10.0.0.5`). */
  readonly label: string;
  /** Whether it is one of the environment's servers (reached over SSH). */
  readonly remote: boolean;
  run(cmd: Command, opts?: RunOptions): Promise<RunResult>;
  /**
   * Writes a file only its owner can read (mode 0600, in a private folder made for it); returns its
   * path on that host. `name` may hold a folder (`docker/config.json`).
   */
  writePrivateFile(name: string, content: string): Promise<string>;
  /** Removes a file writePrivateFile wrote, with the folder made for it. */
  removePrivateFile(path: string): Promise<void>;
  /** Runs the command `build` makes with the path of a private file (0600) that exists only while it runs. */
  runWithPrivateFile(name: string, content: string, build: (path: string) => Command, opts?: RunOptions): Promise<RunResult>;
  /** How one of its commands reads for people (plans). */
  describe(cmd: Command): Command;
  /**
   * How this machine reaches a TCP address or a unix socket as that host sees it (its loopback): as
   * is on this machine, through a forwarded local port on a server. Kept until the deploy ends.
   */
  reach(to: { host: string; port: number }): Promise<{ host: string; port: number }>;
  reach(to: { socket: string }): Promise<{ socket: string } | { host: string; port: number }>;
}

/** The machine that runs the deploy: commands through the runner, private files in a fresh temp folder each. */
export function localHost(runner: Runner): Host {
  const made = new Map<string, string>();
  const host: Host = {
    label: 'this machine',
    remote: false,
    run: (cmd, opts) => runner.run(cmd, opts),
    async writePrivateFile(name, content) {
      const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-'));
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, content, { mode: 0o600 });
      made.set(path, dir);
      return path;
    },
    async removePrivateFile(path) {
      rmSync(made.get(path) ?? path, { recursive: true, force: true });
      made.delete(path);
    },
    async runWithPrivateFile(name, content, build, opts) {
      const path = await host.writePrivateFile(name, content);
      try {
        return await runner.run(build(path), opts);
      } finally {
        await host.removePrivateFile(path);
      }
    },
    describe: (cmd) => cmd,
    reach: (async (to: { host: string; port: number } | { socket: string }) => to) as Host['reach'],
  };
  return host;
}

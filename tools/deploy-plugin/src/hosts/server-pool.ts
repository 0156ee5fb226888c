import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Environment } from '../config/environments.ts';
import { placementsOf, type ServerPlacement } from '../config/servers.ts';
import { UserError } from '../core/errors.ts';
import type { Runner } from '../core/run.ts';
import { describeSshFailure } from './ssh-errors.ts';
import { SshHost } from './ssh-host.ts';

/** A service's server with its connection open, and where the service answers there. */
export interface ConnectedServer extends ServerPlacement {
  host: SshHost;
}

/**
 * The SSH side of one deploy: the private key and pinned host keys written to a private local
 * folder (0700, files 0600, removed at close), and one connection per server, opened for a
 * service all at once before anything runs on any of them.
 */
export class ServerPool {
  private readonly envName: string;
  private readonly env: Environment;
  private readonly environ: NodeJS.ProcessEnv;
  private readonly runner: Runner;
  private dir?: string;
  private readonly hosts = new Map<string, Promise<SshHost>>();
  private sockets = 0;

  constructor(o: { envName: string; env: Environment; environ: NodeJS.ProcessEnv; runner: Runner }) {
    this.envName = o.envName;
    this.env = o.env;
    this.environ = o.environ;
    this.runner = o.runner;
  }

  /** The servers deploy.json names for a project here, with their URLs (empty: it runs where the deploy runs). */
  placements(project: string): ServerPlacement[] {
    const service = this.env.services[project];
    return service ? placementsOf(service, this.env.ssh) : [];
  }

  /**
   * Every server of a project, connected. When any cannot be used (its host key is not the pinned
   * one, the key is refused, it cannot be reached), none is: the error names each and nothing has
   * run on any server.
   */
  async connect(project: string): Promise<ConnectedServer[]> {
    const placements = this.placements(project);
    if (!placements.length) return [];
    const files = this.credentials(project);
    const failures: string[] = [];
    const connected = await Promise.all(
      placements.map(async (p) => {
        let pending = this.hosts.get(p.target.label);
        if (!pending) {
          pending = (async () => {
            const host = new SshHost(p.target, { ...files, controlPath: join(this.dir!, `${++this.sockets}.sock`) }, this.runner);
            const failed = await host.connect();
            if (failed) {
              await host.close();
              throw new UserError(
                describeSshFailure(p.target.label, failed, {
                  envName: this.envName,
                  keyVariable: this.env.ssh!.privateKeyVariable,
                  knownHosts: this.knownHostsSource(),
                  port: p.target.port,
                  host: p.target.host,
                }),
              );
            }
            return host;
          })();
          this.hosts.set(p.target.label, pending);
          pending.catch(() => this.hosts.delete(p.target.label));
        }
        return pending.then(
          (host) => ({ ...p, host }),
          (err: Error) => void failures.push(err.message),
        );
      }),
    );
    if (failures.length)
      throw new UserError(
        `${project}: ${failures.length === 1 ? 'a server' : `${failures.length} servers`} of ${this.envName} cannot be used, so nothing was run on any server:\n  ${failures.join('\n  ')}`,
      );
    return connected as ConnectedServer[];
  }

  /** Closes every connection and removes the key files. */
  async close(): Promise<void> {
    const hosts = await Promise.all([...this.hosts.values()].map((h) => h.catch(() => undefined)));
    await Promise.all(hosts.map((h) => h?.close()));
    this.hosts.clear();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** At once, for an exit that cannot wait: the connections are dropped and the key files removed. */
  discard(): void {
    for (const pending of this.hosts.values()) void pending.then((h) => h.drop()).catch(() => undefined);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private knownHostsSource(): string {
    const ssh = this.env.ssh!;
    return ssh.knownHostsVariable ? `the known_hosts in ${ssh.knownHostsVariable}` : `environments.${this.envName}.ssh.knownHosts`;
  }

  /** The key and known_hosts files, written once per deploy; a missing variable is one sentence and nothing runs. */
  private credentials(project: string): { identity: string; knownHosts: string } {
    const ssh = this.env.ssh;
    if (!ssh) throw new UserError(`${project} names servers in ${this.envName}, but environments.${this.envName}.ssh is not set`);
    const key = this.environ[ssh.privateKeyVariable];
    if (!key?.trim())
      throw new UserError(
        `${project} runs on servers in ${this.envName}, and ${ssh.privateKeyVariable} (environments.${this.envName}.ssh.privateKeyVariable), which must hold the SSH private key, is not set; nothing was run.`,
      );
    const known = ssh.knownHosts?.join('\n') ?? this.environ[ssh.knownHostsVariable!];
    if (!known?.trim())
      throw new UserError(
        `${project} runs on servers in ${this.envName}, and ${ssh.knownHostsVariable} (environments.${this.envName}.ssh.knownHostsVariable), which must hold the servers' known_hosts lines, is not set; nothing was run.`,
      );
    if (!this.dir) {
      // Control sockets live here: a unix socket path has ~100 bytes, ssh adds 17 while it makes one.
      const base = tmpdir().length > 60 ? '/tmp' : tmpdir();
      this.dir = mkdtempSync(join(base, 'nx-deploy-ssh-'));
      chmodSync(this.dir, 0o700);
      // ssh refuses a key file without its final newline or with CRLF line ends, as pasted secrets often are.
      const text = key.replace(/\r\n/g, '\n');
      writeFileSync(join(this.dir, 'key'), text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
      writeFileSync(join(this.dir, 'known_hosts'), `${known.trim()}\n`, { mode: 0o600 });
    }
    return { identity: join(this.dir, 'key'), knownHosts: join(this.dir, 'known_hosts') };
  }
}

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitShallowClone } from '../commands/git.ts';
import { UserError } from '../core/errors.ts';
import { poll, pollFailure } from '../core/poll.ts';
import { withRetry } from '../core/retry.ts';
import { CommandFailed, type Runner } from '../core/run.ts';
import type { Logger } from '../core/log.ts';
import { cargoPublish, cargoRegistryEnvName, sparseIndexPath } from '../commands/cargo.ts';
import type { Publisher, ReleasePackage } from './publisher.ts';

export interface CrateTarget {
  /** Cargo's registry name (`crates-io` for the public registry). */
  registry: string;
  /** Sparse index URL (`sparse+https://...`); crates-io's when omitted. */
  index?: string;
  tokenVariable?: string;
  allowDirty?: boolean;
}

const CRATES_IO_INDEX = 'sparse+https://index.crates.io/';

/**
 * Rust crates: the registry's sparse index says what is out (one HTTP request); `cargo publish`
 * verifies, uploads and waits for the index itself. Registry URL and token reach cargo through
 * its own environment variables, never argv.
 */
export class CratePublisher implements Publisher {
  private readonly target: CrateTarget;
  private readonly runner: Runner;
  private readonly log: Logger;
  private readonly environ: NodeJS.ProcessEnv;

  constructor(target: CrateTarget, runner: Runner, log: Logger, environ: NodeJS.ProcessEnv) {
    this.target = target;
    this.runner = runner;
    this.log = log;
    this.environ = environ;
  }

  private index(): string {
    const index = this.target.index ?? (this.target.registry === 'crates-io' ? CRATES_IO_INDEX : undefined);
    if (!index)
      throw new UserError(`crate registry '${this.target.registry}': set crates.index in deploy.json (sparse+https://... or a git index URL)`);
    return index;
  }

  private cargoEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    const name = cargoRegistryEnvName(this.target.registry);
    if (this.target.registry !== 'crates-io' && this.target.index) env[`CARGO_REGISTRIES_${name}_INDEX`] = this.target.index;
    // A git index may be served over git's "dumb" HTTP, which only the git CLI speaks.
    if (!this.index().startsWith('sparse+')) env.CARGO_NET_GIT_FETCH_WITH_CLI = 'true';
    if (this.target.tokenVariable) {
      const token = this.environ[this.target.tokenVariable];
      if (!token)
        throw new UserError(
          `publishing to crate registry '${this.target.registry}' needs a token in ${this.target.tokenVariable} (deploy.json crates.tokenVariable), which is not set`,
        );
      env[this.target.registry === 'crates-io' ? 'CARGO_REGISTRY_TOKEN' : `CARGO_REGISTRIES_${name}_TOKEN`] = token;
    }
    return env;
  }

  async isPublished(pkg: ReleasePackage): Promise<boolean> {
    const index = this.index();
    const lines = index.startsWith('sparse+')
      ? await this.sparseEntry(index.slice('sparse+'.length), pkg.name)
      : await this.gitEntry(index, pkg.name);
    return lines.some((line) => (JSON.parse(line) as { vers: string }).vers === pkg.version);
  }

  /** The crate's index lines over the sparse protocol (one HTTP request). */
  private async sparseEntry(base: string, crate: string): Promise<string[]> {
    const url = `${base.replace(/\/?$/, '/')}${sparseIndexPath(crate)}`;
    const token = this.target.tokenVariable ? this.environ[this.target.tokenVariable] : undefined;
    return withRetry(async () => {
      const res = await fetch(url, { headers: token ? { authorization: token } : {}, signal: AbortSignal.timeout(15_000) });
      if (res.status === 404 || res.status === 410) return [];
      if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
      return (await res.text()).split('\n').filter(Boolean);
    });
  }

  /** The crate's index lines from a git index: a shallow clone of its tip, read and removed. */
  private async gitEntry(url: string, crate: string): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-crate-index-'));
    try {
      await withRetry(async () => {
        const shallow = await this.runner.run(gitShallowClone(url, dir, true), { quiet: true, allowFailure: true });
        // git's "dumb" HTTP cannot serve a shallow clone; such an index is cloned whole.
        if (shallow.exitCode !== 0) await this.runner.run(gitShallowClone(url, dir, false), { quiet: true });
      });
      const file = join(dir, sparseIndexPath(crate));
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** cargo publish packages and verifies by building; nothing to prepare separately. */
  async pack(pkg: ReleasePackage): Promise<string> {
    return pkg.manifest!;
  }

  async publish(pkg: ReleasePackage, manifest: string): Promise<void> {
    const cmd = {
      ...cargoPublish(manifest, this.target.registry, { allowDirty: this.target.allowDirty }),
      env: this.cargoEnv(),
      timeoutMs: 15 * 60_000,
    };
    await withRetry(
      async () => {
        try {
          await this.runner.run(cmd, { quiet: true });
        } catch (err) {
          if (err instanceof CommandFailed && /already (exists|uploaded)/.test(err.result.stderr)) return;
          throw err;
        }
      },
      { onRetry: (_e, n, ms) => this.log.warn(`${pkg.name}@${pkg.version}: cargo publish attempt ${n} failed; retrying in ${ms} ms`) },
    );
  }

  async waitUntilVisible(pkg: ReleasePackage, timeoutMs = 120_000): Promise<void> {
    const seen = await poll(async () => ((await this.isPublished(pkg)) ? { value: true } : 'not in the index'), {
      deadlineMs: timeoutMs,
      intervalMs: 500,
    });
    if (pollFailure(seen))
      throw new UserError(`${pkg.name}@${pkg.version} is not in the index of '${this.target.registry}' after ${timeoutMs / 1000} s`);
  }
}

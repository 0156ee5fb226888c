import { UserError } from '../core/errors.ts';
import { withRetry } from '../core/retry.ts';
import { CommandFailed, type Runner } from '../core/run.ts';
import type { Logger } from '../core/log.ts';
import { cargoPublish, cargoRegistryEnvName, sparseIndexPath } from '../commands/cargo.ts';
import type { Publisher, ReleasePackage } from './package.ts';

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

  private indexUrl(): string {
    const index = this.target.index ?? (this.target.registry === 'crates-io' ? CRATES_IO_INDEX : undefined);
    if (!index?.startsWith('sparse+')) {
      throw new UserError(`crate registry '${this.target.registry}': set crates.index in deploy.json to its sparse index URL (sparse+http...)`);
    }
    return index.slice('sparse+'.length).replace(/\/?$/, '/');
  }

  private cargoEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    const name = cargoRegistryEnvName(this.target.registry);
    if (this.target.registry !== 'crates-io' && this.target.index) env[`CARGO_REGISTRIES_${name}_INDEX`] = this.target.index;
    if (this.target.tokenVariable) {
      const token = this.environ[this.target.tokenVariable];
      if (!token) throw new UserError(`publishing to crate registry '${this.target.registry}' needs a token in ${this.target.tokenVariable} (deploy.json crates.tokenVariable), which is not set`);
      env[this.target.registry === 'crates-io' ? 'CARGO_REGISTRY_TOKEN' : `CARGO_REGISTRIES_${name}_TOKEN`] = token;
    }
    return env;
  }

  async isPublished(pkg: ReleasePackage): Promise<boolean> {
    const url = `${this.indexUrl()}${sparseIndexPath(pkg.name)}`;
    const token = this.target.tokenVariable ? this.environ[this.target.tokenVariable] : undefined;
    return withRetry(async () => {
      const res = await fetch(url, { headers: token ? { authorization: token } : {}, signal: AbortSignal.timeout(15_000) });
      if (res.status === 404) return false;
      if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
      return (await res.text())
        .split('\n')
        .filter(Boolean)
        .some((line) => (JSON.parse(line) as { vers: string }).vers === pkg.version);
    });
  }

  /** cargo publish packages and verifies by building; nothing to prepare separately. */
  async pack(pkg: ReleasePackage): Promise<string> {
    return pkg.manifest!;
  }

  async publish(pkg: ReleasePackage, manifest: string): Promise<void> {
    const cmd = { ...cargoPublish(manifest, this.target.registry, { allowDirty: this.target.allowDirty }), env: this.cargoEnv(), timeoutMs: 15 * 60_000 };
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
    const end = Date.now() + timeoutMs;
    while (!(await this.isPublished(pkg))) {
      if (Date.now() > end) throw new UserError(`${pkg.name}@${pkg.version} is not in the index of '${this.target.registry}' after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

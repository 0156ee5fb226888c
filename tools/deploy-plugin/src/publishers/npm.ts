import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmPack } from '../commands/npm.ts';
import { registryPublishOptions } from './npm-registry-options.ts';
import { UserError } from '../core/errors.ts';
import { poll, pollFailure } from '../core/poll.ts';
import { withRetry } from '../core/retry.ts';
import { missingEntryPoints } from './entry-points.ts';
import type { Logger } from '../core/log.ts';
import type { Runner } from '../core/run.ts';
import type { Publisher, ReleasePackage } from './publisher.ts';

export interface NpmTarget {
  registry: string;
  /** The dist-tag of a version (prereleases never move the environment's tag). */
  distTag: (version: string) => string;
  /** Variable holding the registry token (written only into a temporary npmrc, by reference). */
  tokenVariable?: string;
  provenance: boolean;
}

interface Packument {
  versions?: Record<string, { dist?: { shasum?: string } }>;
}

interface PackInfo {
  name: string;
  version: string;
  filename: string;
  shasum: string;
  files: Array<{ path: string }>;
}

/** A tarball whose main/exports/bin/types name files it does not hold would install and fail at require: never published. */
function refuseMissingEntryPoints(pkgs: ReleasePackage[], infos: PackInfo[]): void {
  const problems = infos.flatMap((info) => {
    const pkg = pkgs.find((p) => p.name === info.name && p.version === info.version);
    if (!pkg) return [];
    const dir = pkg.publishDir ?? pkg.dir;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const missing = missingEntryPoints(
      manifest,
      info.files.map((f) => f.path),
    );
    if (!missing.length) return [];
    return [
      `${info.name}@${info.version} (packed from ${dir}): ${missing.map((m) => `${m.field} ${m.path}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the tarball`,
    ];
  });
  if (problems.length) {
    const builds = [...new Set(pkgs.filter((p) => problems.some((line) => line.startsWith(`${p.name}@`))).map((p) => `nx run ${p.project}:build`))];
    throw new UserError(
      `${problems.join('; ')}. Nothing was published: build ${builds.length > 1 ? 'them' : 'it'} first (${builds.join(', ')}), or fix those fields or its "files" list.`,
    );
  }
}

/**
 * npm packages: registry state read over HTTP (the packument; one request, no npm process),
 * packing with one npm CLI process for all packages, publishing in this process with npm's own
 * library. Transient failures are retried; a publish that failed after the registry stored it is
 * recognised by its shasum and counts as published.
 */
export class NpmPublisher implements Publisher {
  private readonly target: NpmTarget;
  private readonly runner: Runner;
  private readonly log: Logger;
  private readonly environ: NodeJS.ProcessEnv;
  private readonly shasums = new Map<string, string>();
  private readonly packed = new Map<string, string>();
  private readonly packDirs: string[] = [];

  constructor(target: NpmTarget, runner: Runner, log: Logger, environ: NodeJS.ProcessEnv) {
    this.target = { ...target, registry: target.registry.endsWith('/') ? target.registry : `${target.registry}/` };
    this.runner = runner;
    this.log = log;
    this.environ = environ;
  }

  private token(): string | undefined {
    const v = this.target.tokenVariable;
    if (!v) return undefined;
    const value = this.environ[v];
    if (!value) throw new UserError(`publishing to ${this.target.registry} needs a token in ${v} (deploy.json npm.tokenVariable), which is not set`);
    return value;
  }

  private async packument(name: string): Promise<Packument | undefined> {
    const url = `${this.target.registry}${name.replace('/', '%2f')}`;
    const token = this.token();
    return withRetry(
      async () => {
        const res = await fetch(url, {
          headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          signal: AbortSignal.timeout(15_000),
        });
        if (res.status === 404) return undefined;
        if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
        return (await res.json()) as Packument;
      },
      {
        attempts: 6,
        baseMs: 200,
        isTransient: (e) => /answered 5\d\d|fetch failed|timed? ?out|ECONN/i.test(String((e as Error).message) + String((e as Error).cause ?? '')),
      },
    );
  }

  async isPublished(pkg: ReleasePackage): Promise<boolean> {
    return Boolean((await this.packument(pkg.name))?.versions?.[pkg.version]);
  }

  /** Packs many packages with one npm process (each tarball into a folder of its own). */
  async prepare(pkgs: ReleasePackage[]): Promise<void> {
    if (!pkgs.length) return;
    const dest = mkdtempSync(join(tmpdir(), 'nx-deploy-pack-'));
    this.packDirs.push(dest);
    const res = await this.runner.run(
      npmPack(
        pkgs.map((p) => p.publishDir ?? p.dir),
        dest,
      ),
      { quiet: true },
    );
    const infos = JSON.parse(res.stdout) as PackInfo[];
    refuseMissingEntryPoints(pkgs, infos);
    for (const info of infos) {
      const key = `${info.name}@${info.version}`;
      this.shasums.set(key, info.shasum);
      this.packed.set(key, join(dest, info.filename));
    }
  }

  async pack(pkg: ReleasePackage): Promise<string> {
    const key = `${pkg.name}@${pkg.version}`;
    if (!this.packed.has(key)) await this.prepare([pkg]);
    const tarball = this.packed.get(key);
    if (!tarball)
      throw new UserError(`npm pack of ${pkg.publishDir ?? pkg.dir} gave no tarball for ${key}: does its package.json say that name and version?`);
    return tarball;
  }

  /**
   * Publishes the packed tarball in this process with npm's own library: no npm process per
   * package, and the token stays in memory (never in a file).
   */
  async publish(pkg: ReleasePackage, tarball: string): Promise<void> {
    const { publish } = await import('libnpmpublish');
    const manifest = JSON.parse(readFileSync(join(pkg.publishDir ?? pkg.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const data = readFileSync(tarball);
    const options = registryPublishOptions({
      registry: this.target.registry,
      tag: this.target.distTag(pkg.version),
      token: this.token(),
      provenance: this.target.provenance,
    });
    await withRetry(
      async () => {
        try {
          await publish(manifest, data, options);
        } catch (err) {
          if (await this.storedThisArtifact(pkg)) return; // the registry kept it although the answer failed
          throw this.refused(pkg, err);
        }
      },
      {
        onRetry: (err, n, ms) =>
          this.log.warn(`${pkg.name}@${pkg.version}: publish attempt ${n} failed (${(err as Error).message}); retrying in ${ms} ms`),
      },
    );
  }

  /** A failed publish in one sentence: the registry's status and words, and for a refused login which variable holds the token. */
  private refused(pkg: ReleasePackage, err: unknown): Error {
    const status = (err as { statusCode?: number }).statusCode;
    const auth =
      status === 401 || status === 403
        ? this.target.tokenVariable
          ? `; check the token in ${this.target.tokenVariable} (deploy.json npm.tokenVariable)`
          : '; this registry wants a token: set deploy.json npm.tokenVariable'
        : '';
    return new Error(
      `${this.target.registry} refused ${pkg.name}@${pkg.version}${status ? ` (HTTP ${status})` : ''}: ${(err as Error).message}${auth}`,
    );
  }

  /** Removes every packed tarball, published or not (a failed or skipped package leaves none behind). */
  dispose(): void {
    for (const dir of this.packDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  /** True when the registry has this version with the shasum we packed; a different one is an error. */
  private async storedThisArtifact(pkg: ReleasePackage): Promise<boolean> {
    const stored = (await this.packument(pkg.name).catch(() => undefined))?.versions?.[pkg.version]?.dist?.shasum;
    if (!stored) return false;
    const ours = this.shasums.get(`${pkg.name}@${pkg.version}`);
    if (ours && stored !== ours) {
      throw new UserError(
        `${pkg.name}@${pkg.version} is already on ${this.target.registry} with different contents (shasum ${stored}, ours ${ours}); bump the version`,
      );
    }
    return true;
  }

  async waitUntilVisible(pkg: ReleasePackage, timeoutMs = 60_000): Promise<void> {
    const seen = await poll(async () => ((await this.isPublished(pkg)) ? { value: true } : 'not visible'), {
      deadlineMs: timeoutMs,
      intervalMs: 250,
    });
    if (pollFailure(seen))
      throw new UserError(`${pkg.name}@${pkg.version} was published but is not visible on ${this.target.registry} after ${timeoutMs / 1000} s`);
  }
}

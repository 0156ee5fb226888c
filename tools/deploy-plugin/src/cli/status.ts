import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { siteOf } from '../config/cdn.ts';
import type { DeployFile } from '../config/environments.ts';
import { parseDuration } from '../core/duration.ts';
import { describeError, UserError } from '../core/errors.ts';
import type { Redactor } from '../core/redact.ts';
import { SiteReleases } from '../cdn/releases.ts';
import { retention } from '../cdn/retention.ts';
import { renderDeployReport } from '../report/deploy-report.ts';
import { renderStatusPage, type EnvironmentStatus, type SiteStatus } from '../report/status-page.ts';
import { openStore } from '../store/open.ts';
import { Pins, type Pin } from '../store/pins.ts';
import type { StateStore } from '../store/state-store.ts';

export interface PagesCli {
  workspaceRoot: string;
  file: DeployFile;
  environ: NodeJS.ProcessEnv;
  redactor: Redactor;
}

/** Opened only to read: a page never writes, so a read-only key is enough and nothing is probed. */
const openToRead = (c: PagesCli, env: string) => openStore(c.file, env, c, { readOnly: true });

async function environmentStatus(c: PagesCli, env: string): Promise<EnvironmentStatus> {
  let store: StateStore | undefined;
  try {
    store = await openToRead(c, env);
    const [{ records, damagedLines }, lock] = await Promise.all([store.ledger.read(env), store.locks.status(env)]);
    const projects = [...new Set(records.map((r) => r.project))];
    const pins: Record<string, Pin> = {};
    const pinStore = new Pins(store.blobs);
    await Promise.all(projects.map(async (p) => (pins[p] = (await pinStore.get(env, p))!)));
    const sites: Record<string, SiteStatus> = {};
    for (const project of Object.keys(c.file.environments[env]!.cdn)) {
      const index = await new SiteReleases(store.blobs, env, project).index();
      const site = siteOf(c.file.environments[env]!, env, project);
      const current = index.releases.find((r) => r.id === index.current);
      sites[project] = {
        ...(current ? { current: { id: current.id, version: current.version } } : {}),
        kept: retention(index, Date.now(), site.keepReleases, parseDuration(site.grace, 'grace')).kept.length,
        releases: index.releases.length,
      };
    }
    return {
      name: env,
      where: store.where,
      records,
      damagedLines,
      ...(lock ? { lock } : {}),
      pins: Object.fromEntries(Object.entries(pins).filter(([, pin]) => pin)),
      sites,
    };
  } catch (err) {
    // One environment's store out of reach (no key for production on this runner) still leaves a page of the others.
    return {
      name: env,
      where: store?.where ?? 'its state store',
      records: [],
      damagedLines: 0,
      pins: {},
      sites: {},
      problem: describeError(err, c.redactor.redact).split('\n')[0]!,
    };
  }
}

function write(out: string, html: string): string {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, html);
  return `wrote ${out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} kB)`;
}

/** `nx-deploy status`: every environment (or one) as one page. */
export async function statusPage(c: PagesCli, env: string | undefined, out: string | undefined): Promise<number> {
  const envs = env ? [env] : Object.keys(c.file.environments);
  const statuses = await Promise.all(envs.map((e) => environmentStatus(c, e)));
  console.log(write(resolve(out ?? 'nx-deploy-status.html'), renderStatusPage(statuses, new Date().toISOString())));
  for (const s of statuses.filter((s) => s.problem)) console.error(`${s.name}: not shown: ${s.problem}`);
  return statuses.every((s) => s.problem) ? 1 : 0;
}

/**
 * `nx-deploy report <deploy id>`: the deploy's record as a page, from the environment named, else
 * from each environment's ledger this machine can read (the others are said if it is not found).
 */
export async function reportPage(c: PagesCli, id: string, env: string | undefined, out: string | undefined): Promise<number> {
  const searched: string[] = [];
  const unreadable: string[] = [];
  for (const e of env ? [env] : Object.keys(c.file.environments)) {
    let store: StateStore;
    try {
      store = await openToRead(c, e);
    } catch (err) {
      if (env) throw err;
      unreadable.push(`${e} (${describeError(err, c.redactor.redact).split('\n')[0]})`);
      continue;
    }
    const found = (await store.ledger.read(e)).records.find((r) => r.id === id);
    if (found) {
      console.log(write(resolve(out ?? `nx-deploy-report-${id}.html`), renderDeployReport(found)));
      return 0;
    }
    searched.push(`${e} (${store.where})`);
  }
  throw new UserError(
    `no deploy ${id} in the ledger of ${searched.join(', ') || 'any environment'}${unreadable.length ? `; not searched: ${unreadable.join('; ')}` : ''}; ` +
      "`nx-deploy history --env <env> --json` lists each deploy's id",
  );
}

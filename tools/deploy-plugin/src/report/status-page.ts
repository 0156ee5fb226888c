import type { Pin } from '../store/pins.ts';
import type { LedgerRecord, LockStatus } from '../store/state-store.ts';
import { esc, page, status, table, when } from './html.ts';
import { servingNow } from './serving.ts';

/** A site's releases in the store: which serves, how many keep their files. */
export interface SiteStatus {
  current?: { id: string; version: string };
  kept: number;
  releases: number;
}

/** Everything the status page shows of one environment, read from its state store. */
export interface EnvironmentStatus {
  name: string;
  /** The store it was read from (a folder, or s3://bucket/prefix). */
  where: string;
  records: LedgerRecord[];
  damagedLines: number;
  lock?: LockStatus;
  pins: Record<string, Pin>;
  sites: Record<string, SiteStatus>;
  /** The store could not be read: why (the page still shows the other environments). */
  problem?: string;
}

/** Deploys shown per project on the timeline; older ones are counted. */
const TIMELINE = 120;

/**
 * Pure: every environment × project: the version and commit serving, since when and by whom, the
 * last deploy's result, the lock, pins and CDN releases; each project's recent deploys as a
 * timeline. One self-contained page.
 */
export function renderStatusPage(envs: EnvironmentStatus[], generatedAt: string): string {
  const body = [
    `<header><h1>Deploy status</h1><p class="muted">nx-deploy status · read ${esc(when(generatedAt))} from the state store of each environment</p></header>`,
    table(
      ['environment', 'projects', 'lock', 'deploys'],
      envs.map((e) => [
        `<a href="#env-${esc(e.name)}">${esc(e.name)}</a>`,
        e.problem ? '' : String(projectsOf(e).length),
        e.problem ? '' : lockCell(e.lock),
        e.problem ? `<span class="failed">${esc(e.problem)}</span>` : String(e.records.length),
      ]),
      'environments',
    ),
    ...envs.map(environmentSection),
  ];
  return page('Deploy status', body.join('\n'));
}

function projectsOf(e: EnvironmentStatus): string[] {
  return [...new Set([...e.records.map((r) => r.project), ...Object.keys(e.sites), ...Object.keys(e.pins)])].sort();
}

function lockCell(lock: LockStatus | undefined): string {
  if (!lock) return 'free';
  const h = lock.holder;
  const lease = h.expiresAt ? `, lease ${lock.stale ? 'expired' : 'until'} ${esc(when(h.expiresAt))}` : '';
  return `<span class="${lock.stale ? 'aborted' : 'started'}">held by ${esc(h.actor)} on ${esc(h.host)} since ${esc(when(h.since))}: ${esc(h.what)}${lease}${lock.stale ? ' (stale)' : ''}</span>`;
}

function environmentSection(e: EnvironmentStatus): string {
  const head = `<h2 id="env-${esc(e.name)}">${esc(e.name)}</h2><p class="muted">state: <code>${esc(e.where)}</code>${e.damagedLines ? ` · ${e.damagedLines} damaged ledger line(s) skipped` : ''}</p>`;
  if (e.problem) return `<section>${head}<p class="failed">${esc(e.problem)}</p></section>`;
  const rows = projectsOf(e).map((project) => {
    const records = e.records.filter((r) => r.project === project);
    const serving = servingNow(records);
    const last = records.findLast((r) => r.kind === 'deploy' || r.kind === 'rollback');
    const pin = e.pins[project];
    const site = e.sites[project];
    return [
      `<strong>${esc(project)}</strong>`,
      !serving
        ? '<span class="muted">nothing deployed</span>'
        : serving.state === 'serving'
          ? `${esc(serving.version)}${serving.inProgress ? ' (deploy under way)' : ''}`
          : `<span class="failed">${serving.state}: ${esc(serving.why)}</span>`,
      serving?.state === 'serving' ? `<code>${esc(serving.gitSha.slice(0, 8))}</code>` : '',
      serving?.state === 'serving' ? `${esc(when(serving.since))} by ${esc(serving.by)}` : '',
      last
        ? `${status(last.status)} ${esc(last.kind)} ${esc(last.version)} <span class="muted">${esc(when(last.finishedAt ?? last.startedAt))}</span>`
        : '',
      pin ? `pinned at ${esc(pin.serving)} by ${esc(pin.actor)} ${esc(when(pin.at))}` : '',
      site
        ? `${site.current ? `${esc(site.current.version)} (${esc(site.current.id)}) serves; ` : ''}${site.kept} of ${site.releases} releases kept`
        : '',
      timeline(records),
    ];
  });
  return `<section>${head}<p>lock: ${lockCell(e.lock)}</p>${table(
    ['project', 'serving', 'commit', 'since', 'last deploy', 'pin', 'CDN releases', 'recent deploys (oldest first)'],
    rows,
    `projects in ${e.name}`,
  )}</section>`;
}

/** Each deploy a square coloured by its result, its words for screen readers and on hover. */
function timeline(records: LedgerRecord[]): string {
  const deploys = records.filter((r) => r.kind === 'deploy' || r.kind === 'rollback');
  const shown = deploys.slice(-TIMELINE);
  const earlier = deploys.length - shown.length;
  const items = shown.map((r) => {
    const words = `${r.kind} ${r.version} ${r.status.replace('_', ' ')} ${when(r.startedAt)}`;
    return `<li class="${esc(r.status)}" title="${esc(words)}"><span class="sr">${esc(words)}</span></li>`;
  });
  return `${earlier ? `<span class="muted">${earlier} earlier, then </span>` : ''}<ol class="timeline">${items.join('')}</ol>`;
}

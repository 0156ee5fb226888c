// The plugin's layers, lowest first: a folder may import its own files and folders of a LOWER
// layer only (type-only imports count: naming a higher layer's types is depending on it). Folders
// of one layer are peers and do not import each other. tools/deploy-plugin/test/layers.test.ts
// checks src/ against this table, so an upward import fails the test run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const LAYERS: string[][] = [
  ['core'], // mechanisms that know no step: run, log, redact, errors, retry, http, processes, ports
  ['commands', 'config'], // pure argv builders; deploy.json's schema and what it resolves to
  ['store', 'image', 'publishers', 'analysis', 'notify', 'checks', 'hosts', 'proxy'], // ledger, locks, service state; images; npm and crate publishing; metrics and the triggers' assessor; alerts; pre-deployment verdicts; servers over SSH
  ['runtimes', 'cdn', 'report'], // process, container, compose, kubernetes behind one interface; CDN sites (fs, s3); status and deploy report pages
  ['step-kit'], // the step contract (StepDefinition, StepContext, StepResult) and what steps share: sampling and watching, alerts, database access, backups in the store, browser and smoke checks, load generation, the image to run
  ['steps'], // one file per step of the registry (and predeploy's migration dry-run), and the registry
  ['rollback-steps'], // what a manual rollback runs: a CDN release, a service's previous version, a database restore
  ['deploy'], // approval -> lock -> ledger -> steps -> summary
  ['release', 'inference'], // the Changesets bridge; createNodes
  ['executors', 'generators', 'cli'], // thin Nx executors; nx add's init generator; nx-deploy
  ['index'], // the plugin entry
];

const rankOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((f) => [f, rank] as const)));

/** The top-level folder of a source path relative to src/ (`index` for src/index.ts). */
function topOf(rel: string): string {
  const parts = rel.split(/[\\/]/);
  return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.\w+$/, '');
}

export interface Violation {
  file: string;
  imports: string;
  why: string;
}

/** Pure: every import in `files` (path relative to src/ -> source text) that breaks the layering. */
export function layerViolations(files: Record<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, text] of Object.entries(files)) {
    const from = topOf(file);
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
    )) {
      const spec = (m[1] ?? m[2])!;
      const target = relative('/src', resolve('/src', dirname(file), spec));
      if (target.startsWith('..')) continue; // outside src/
      const to = topOf(target);
      if (to === from) continue;
      const [a, b] = [rankOf.get(from), rankOf.get(to)];
      if (a === undefined || b === undefined) {
        out.push({ file, imports: spec, why: `folder '${a === undefined ? from : to}' is in no layer of scripts/layers.ts` });
      } else if (b >= a) {
        out.push({
          file,
          imports: spec,
          why: b === a ? `${from} and ${to} are peers and must not import each other` : `${from} must not import the higher layer ${to}`,
        });
      }
    }
  }
  return out;
}

/** Every .ts file under a src folder, by path relative to it (tests excluded). */
export function readSources(src: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.m?ts$/.test(entry) && !/\.test\./.test(entry)) files[relative(src, path).split(sep).join('/')] = readFileSync(path, 'utf8');
    }
  };
  walk(src);
  return files;
}

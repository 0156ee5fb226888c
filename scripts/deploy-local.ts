// `npm run deploy:local`: the whole platform on this machine, for a newcomer after `npm ci`. It
// starts the local infrastructure the development environment needs (Verdaccio as the npm
// registry; the crate registry when cargo-http-registry is installed), deploys all six packages
// with the tool (`nx run-many -t deploy -c development`: SQLite, services as local processes, the
// frontend in a local CDN folder and its server), prints what runs where, and serves until Ctrl-C,
// which stops everything it started.
//   npm run deploy:local                 deploy and serve until Ctrl-C
//   npm run deploy:local -- --detach     deploy and leave it running
//   npm run deploy:local -- stop         stop what a detached run left running
//   npm run deploy:local -- --no-crates  without the crate registry (sdk-rust skipped), even where it is installed
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { testToolsDir } from './provision/tools-dir.mjs';
import { describeHolder, portHolder } from '../tools/deploy-plugin/src/core/ports.ts';
import { poll } from '../tools/deploy-plugin/src/core/poll.ts';
import { isAlive, stopProcessGroup } from '../tools/deploy-plugin/src/core/processes.ts';

const root = resolve(import.meta.dirname, '..');
const stateDir = join(root, '.nx-deploy');
const localDir = join(stateDir, 'local');
const processesFile = join(localDir, 'processes.json');
const NPM_PORT = 4873;
const CRATES_PORT = 4874;
const CRATE_REGISTRY = 'pod-local';

interface Infra {
  name: string;
  pid: number;
  url: string;
}

class Refused extends Error {}

function log(line: string): void {
  process.stdout.write(`deploy:local: ${line}\n`);
}

function assertFree(port: number, what: string): void {
  const holder = portHolder(port);
  if (holder)
    throw new Refused(
      `${describeHolder(port, holder)}, so ${what} cannot start there. Stop it (npm run deploy:local -- stop, if a detached run left it).`,
    );
}

async function waitUntil(what: string, ok: () => Promise<boolean>, pid: number, logFile: string, ms = 30_000): Promise<void> {
  const served = await poll(async () => ((await ok().catch(() => false)) ? { value: true } : 'not answering'), {
    deadlineMs: ms,
    intervalMs: 200,
    gone: () => (isAlive(pid) ? undefined : 'exited'),
  });
  if ('value' in served) return;
  if (served.stopped === 'gone')
    throw new Refused(`${what} exited before it served; its log: ${logFile}\n${readFileSync(logFile, 'utf8').slice(-1500)}`);
  throw new Refused(`${what} did not answer within ${ms / 1000} s; its log: ${logFile}`);
}

/** Starts a server detached in its own process group (so Ctrl-C reaches it only through us), its output in a log file. */
function launch(argv: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  const out = openSync(logFile, 'a');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', out, out], detached: true, env });
  closeSync(out);
  child.unref();
  return child.pid!;
}

async function startVerdaccio(): Promise<Infra> {
  assertFree(NPM_PORT, 'the local npm registry (Verdaccio)');
  const dir = join(localDir, 'verdaccio');
  mkdirSync(join(dir, 'storage'), { recursive: true });
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      '    unpublish: $all',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${NPM_PORT}/`;
  const logFile = join(dir, 'verdaccio.log');
  const bin = join(root, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  const pid = launch([process.execPath, bin, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${NPM_PORT}`], logFile);
  await waitUntil('Verdaccio', async () => (await fetch(`${url}-/ping`)).ok, pid, logFile);
  return { name: 'npm registry (Verdaccio)', pid, url };
}

/** cargo-http-registry where provisioning or the user installed it, else undefined. */
function crateRegistryBinary(): string | undefined {
  const candidates = [
    join(testToolsDir(), 'bin', 'cargo-http-registry'),
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'cargo-http-registry')),
  ];
  return candidates.find((c) => existsSync(c));
}

async function startCrateRegistry(bin: string): Promise<Infra> {
  assertFree(CRATES_PORT, 'the local crate registry');
  const dir = join(localDir, 'crates');
  mkdirSync(dir, { recursive: true });
  const url = `http://127.0.0.1:${CRATES_PORT}`;
  const logFile = join(localDir, 'crates.log');
  // The server commits to its git index: a fixed identity works on a machine without git config.
  const pid = launch([bin, '--addr', `127.0.0.1:${CRATES_PORT}`, dir], logFile, {
    ...process.env,
    GIT_AUTHOR_NAME: 'pod-local-registry',
    GIT_AUTHOR_EMAIL: 'registry@127.0.0.1',
    GIT_COMMITTER_NAME: 'pod-local-registry',
    GIT_COMMITTER_EMAIL: 'registry@127.0.0.1',
  });
  await waitUntil('the crate registry', async () => (await fetch(`${url}/git/HEAD`)).ok, pid, logFile);
  return { name: 'crate registry (cargo-http-registry)', pid, url };
}

/** deploy.json's development environment with the local registries added: what this run deploys with. */
function localDeployFile(npmUrl: string, crates: Infra | undefined): string {
  const file = JSON.parse(readFileSync(join(root, 'deploy.json'), 'utf8'));
  const dev = file.environments.development;
  dev.description = 'npm run deploy:local: development, with the local npm and crate registries';
  dev.npm = { registry: npmUrl, distTag: 'local', tokenVariable: 'LOCAL_NPM_TOKEN' };
  if (crates) dev.crates = { registry: CRATE_REGISTRY, index: `${crates.url}/git`, tokenVariable: 'LOCAL_CARGO_TOKEN' };
  dev.ephemeralSecrets = [...new Set([...(dev.ephemeralSecrets ?? []), 'LOCAL_NPM_TOKEN', 'LOCAL_CARGO_TOKEN'])];
  file.$schema = '../../tools/deploy-plugin/deploy.schema.json';
  const path = join(localDir, 'deploy.json');
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}

function deployAll(deployFile: string): Promise<number> {
  return new Promise((done) => {
    const child = spawn('npx', ['nx', 'run-many', '-t', 'deploy', '-c', 'development', '--output-style=stream'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NX_DEPLOY_FILE: deployFile, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? 130 : 1)));
  });
}

interface Ledgered {
  id: string;
  project: string;
  status: string;
  startedAt: string;
  url?: string;
  artifact?: string;
  reason?: string;
  steps?: { name: string; status: string; detail?: string }[];
}

/** This run's ledger records, each in its latest state. */
function recordsSince(since: string): Ledgered[] {
  const file = join(stateDir, 'ledger', 'development.jsonl');
  if (!existsSync(file)) return [];
  const latest = new Map<string, Ledgered>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(line) as Ledgered;
    if (r.startedAt >= since) latest.set(r.id, r);
  }
  return [...latest.values()];
}

/**
 * The processes the deploy left running: each service's supervisor (and the previous version's, kept
 * warm behind the proxy), each service's proxy, and each site's static server.
 */
function deployedProcesses(): { name: string; pid: number }[] {
  const out: { name: string; pid: number }[] = [];
  const services = join(stateDir, 'services', 'development');
  for (const f of existsSync(services) ? readdirSync(services).filter((f) => f.endsWith('.process.json')) : []) {
    const state = JSON.parse(readFileSync(join(services, f), 'utf8')) as Record<string, { pid?: number } | undefined>;
    for (const which of ['current', 'previous']) {
      const pid = state[which]?.pid;
      if (pid && isAlive(pid)) out.push({ name: `${f.replace(/\.process\.json$/, '')}${which === 'previous' ? ' (previous version)' : ''}`, pid });
    }
  }
  const proxies = join(stateDir, 'proxy', 'development');
  for (const project of existsSync(proxies) ? readdirSync(proxies) : []) {
    const pidFile = join(proxies, project, 'haproxy.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
    if (pid && isAlive(pid)) out.push({ name: `${project}'s proxy`, pid });
  }
  const sites = join(stateDir, 'sites', 'development');
  for (const site of existsSync(sites) ? readdirSync(sites) : []) {
    const record = join(sites, site, 'server.json');
    const pid = existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')).pid as number) : undefined;
    if (pid && isAlive(pid)) out.push({ name: `${site} site server`, pid });
  }
  return out;
}

async function stopAll(infra: { name: string; pid: number }[]): Promise<void> {
  for (const p of [...deployedProcesses(), ...infra]) {
    const result = await stopProcessGroup(p.pid, 5_000);
    if (result === 'stopped') log(`stopped ${p.name} (pid ${p.pid})`);
  }
  rmSync(processesFile, { force: true });
}

function printSummary(records: Ledgered[], infra: Infra[], crateSkipped: string | undefined, health: Record<string, string>): void {
  const rows = records.map((r) => {
    const skipped = r.steps?.find((s) => s.status === 'skipped' && s.name.startsWith('publish-'));
    if (skipped) return [r.project, 'skipped', (skipped.name === 'publish-crate' && crateSkipped) || (skipped.detail ?? '')];
    return [r.project, r.status, r.url ?? r.artifact ?? ''];
  });
  const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length), 8));
  log('');
  log(`${'project'.padEnd(width[0]!)}  ${'result'.padEnd(width[1]!)}  where`);
  for (const r of rows) log(`${r[0]!.padEnd(width[0]!)}  ${r[1]!.padEnd(width[1]!)}  ${r[2]}`);
  log('');
  log('open:');
  for (const [what, url] of Object.entries(health)) log(`  ${what.padEnd(20)} ${url}`);
  for (const i of infra) log(`  ${i.name.padEnd(20)} ${i.url}`);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('stop')) {
    const infra = existsSync(processesFile) ? (JSON.parse(readFileSync(processesFile, 'utf8')) as Infra[]) : [];
    await stopAll(infra);
    log('nothing of deploy:local runs now');
    return 0;
  }
  const unknown = argv.filter((a) => !['--detach', '--no-crates'].includes(a));
  if (unknown.length) throw new Refused(`unknown argument ${unknown.join(' ')}: deploy:local takes --detach, --no-crates, or stop`);
  const detach = argv.includes('--detach');
  if (existsSync(processesFile) && (JSON.parse(readFileSync(processesFile, 'utf8')) as Infra[]).some((p) => isAlive(p.pid)))
    throw new Refused('a detached deploy:local is running: stop it first (npm run deploy:local -- stop)');
  mkdirSync(localDir, { recursive: true });
  const since = new Date().toISOString();
  const infra: Infra[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping everything deploy:local started');
    await stopAll(infra);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  try {
    infra.push(await startVerdaccio());
    log(`npm registry: ${infra[0]!.url}`);
    const bin = argv.includes('--no-crates') ? undefined : crateRegistryBinary();
    let crateSkipped: string | undefined;
    if (bin) {
      infra.push(await startCrateRegistry(bin));
      log(`crate registry: ${infra[1]!.url}`);
    } else {
      crateSkipped = argv.includes('--no-crates')
        ? 'without the crate registry (--no-crates)'
        : 'no local crate registry: install it with scripts/ci/crate-registry.sh, then run deploy:local again';
      log(`sdk-rust will be skipped (${crateSkipped})`);
    }
    writeFileSync(processesFile, JSON.stringify(infra, null, 2));
    const deployFile = localDeployFile(infra[0]!.url, infra[1]);
    const code = await deployAll(deployFile);
    const file = JSON.parse(readFileSync(deployFile, 'utf8'));
    const dev = file.environments.development;
    const health: Record<string, string> = {};
    for (const [name, s] of Object.entries(dev.services as Record<string, { url: string; healthPath?: string }>))
      health[`${name} health`] = `${s.url}${s.healthPath ?? '/'}`;
    // The frontend's site: declared in deploy.json, else the development default the tool serves.
    health['frontend'] = (dev.cdn?.frontend?.url as string | undefined) ?? 'http://127.0.0.1:4200';
    health['sdk (npm)'] = `${infra[0]!.url}@pod-protocol%2fsdk`;
    printSummary(recordsSince(since), infra, crateSkipped, health);
    if (code !== 0) {
      log(`the deploy failed (exit ${code}); what it says above is why. Stopping what was started.`);
      await stop(1);
      return 1;
    }
    if (detach) {
      writeFileSync(processesFile, JSON.stringify(infra, null, 2));
      log('left running; stop it with: npm run deploy:local -- stop');
      return 0;
    }
    log('serving; Ctrl-C stops everything deploy:local started');
    // Serving: say so once when something it started stops on its own (this timer also keeps Node running).
    const watched = [...infra, ...deployedProcesses()];
    const gone = new Set<number>();
    setInterval(() => {
      for (const p of watched.filter((w) => !gone.has(w.pid) && !isAlive(w.pid))) {
        gone.add(p.pid);
        log(`${p.name} (pid ${p.pid}) stopped on its own; its log is under ${stateDir}`);
      }
    }, 2_000);
    return new Promise<number>(() => undefined);
  } catch (err) {
    await stopAll(infra);
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`deploy:local: ${err instanceof Refused ? err.message : (err.stack ?? err.message)}\n`);
    process.exit(1);
  },
);

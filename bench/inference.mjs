// Benchmark of @pod-protocol/nx-deploy's project inference as a user gets it: builds and packs the
// plugin, generates a 1,000-project npm-workspaces Nx workspace outside this repo, installs nx,
// @nx/devkit, the packed plugin (and @nx/docker and a do-nothing plugin as anchors) from tarballs
// and the registry, and times `nx show projects` cold and warm for each nx.json plugins variant.
//
//   npm run bench:inference [-- --runs 9] [--projects 1000] [--keep]
//
// Prints a table and the goals (PASS/MISS) but exits 0 whenever the measurements completed: wall
// clock is never a gate. Exits 1 when something failed to run, 2 on bad arguments.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { npmCommand, run as runChild, stopChildren } from './lib/exec.mjs';
import { median, summarize } from './lib/report.mjs';
import { generateWorkspace, kindOf, NOOP_PLUGIN, nxJson, projectName, writeNoopPlugin } from './lib/workspace.mjs';

const REPO = join(import.meta.dirname, '..');
const PLUGIN_DIR = join(REPO, 'tools', 'deploy-plugin');
const PLUGIN = '@pod-protocol/nx-deploy';
// The versions this workspace pins (nx 24.0.0's platform packages are not all published, so nx is
// pinned to 24.0.6 while @nx/devkit's newest is 24.0.0).
const ROOT_DEPS = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).devDependencies;
const NX_VERSION = ROOT_DEPS.nx;
const DEVKIT_VERSION = ROOT_DEPS['@nx/devkit'];
const GOALS = { cold: 1.05, warm: 1.05 }; // against the do-nothing plugin of the same run

const USAGE = 'usage: npm run bench:inference -- [--runs N (default 9)] [--projects N (default 1000)] [--keep]';

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string', default: '9' },
        projects: { type: 'string', default: '1000' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const runs = Number(values.runs);
  const projects = Number(values.projects);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(projects) || projects < 8 || projects > 9999) {
    console.error(`--runs must be an integer >= 1 and --projects an integer from 8 to 9999 (got ${values.runs}, ${values.projects})\n${USAGE}`);
    process.exit(2);
  }
  return { runs, projects, keep: values.keep };
}

const started = performance.now();
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[bench ${seconds(started).padStart(6)}] ${msg}`);

/** Environment for children: none of the caller's NX_*, GIT_* or npm lifecycle variables leak into the temp workspace. */
function cleanEnv(extra = {}) {
  const leaks = /^(NX_|GIT_|npm_package_|npm_lifecycle_|npm_config_(local_)?prefix$|INIT_CWD$)/i;
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !leaks.test(k))), ...extra };
}
/** Every child in its own process group: Ctrl-C (see main) stops nx and its plugin workers, npm and git. */
const run = (argv, options) => runChild(argv, { ...options, group: true });
const NX_ENV = cleanEnv({ NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' });
const NPM = npmCommand();

async function npmPack(cwd, destination) {
  const { stdout } = await run([...NPM, 'pack', '--json', '--pack-destination', destination], { cwd, env: cleanEnv() });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  return join(destination, info.filename);
}

/** @nx/docker at nx's version, else the newest release of nx's major, else null (the anchor is skipped). */
async function dockerVersion(cwd) {
  const exact = await run([...NPM, 'view', `@nx/docker@${NX_VERSION}`, 'version'], { cwd, env: cleanEnv(), allowFailure: true });
  if (exact.code === 0 && exact.stdout.trim()) return NX_VERSION;
  const { stdout } = await run([...NPM, 'view', '@nx/docker', 'versions', '--json'], { cwd, env: cleanEnv() });
  const major = NX_VERSION.split('.')[0];
  const stable = [].concat(JSON.parse(stdout)).filter((v) => /^\d+\.\d+\.\d+$/.test(v) && v.split('.')[0] === major);
  const byNumber = (a, b) => a.split('.').reduce((d, n, i) => d || Number(n) - Number(b.split('.')[i]), 0);
  return stable.sort(byNumber).at(-1) ?? null;
}

async function main({ runs, projects, keep }) {
  if (process.versions.node.split('.')[0] !== '22') {
    log(`warning: running on Node ${process.version}; run it as \`npm run bench:inference\` so the workspace's Node 22 is used`);
  }
  const root = mkdtempSync(join(tmpdir(), 'nx-deploy-bench-'));
  const onSignal = () => {
    stopChildren();
    if (!keep) rmSync(root, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const phases = {};
  try {
    // 1. The plugin as published, and the do-nothing anchor, as tarballs.
    let t = performance.now();
    log(`building ${PLUGIN} (tools/deploy-plugin/scripts/build.mjs)`);
    await run([process.execPath, join(PLUGIN_DIR, 'scripts', 'build.mjs')], { cwd: PLUGIN_DIR, env: cleanEnv() });
    const tarballs = join(root, 'tarballs');
    mkdirSync(tarballs);
    const pluginTgz = await npmPack(join(PLUGIN_DIR, 'dist'), tarballs);
    writeNoopPlugin(join(root, 'noop-plugin'));
    const noopTgz = await npmPack(join(root, 'noop-plugin'), tarballs);
    log(`packed ${pluginTgz} and ${noopTgz}`);
    phases['build + pack'] = seconds(t);

    // 2. The workspace, committed to git (Nx walks files the git-aware way).
    t = performance.now();
    const ws = join(root, 'workspace');
    const files = generateWorkspace(ws, projects);
    const git = (...args) => run(['git', ...args], { cwd: ws, env: cleanEnv() });
    await git('init', '-q');
    await git('add', '-A');
    await git(
      '-c',
      'user.name=bench',
      '-c',
      'user.email=bench@localhost',
      '-c',
      'commit.gpgsign=false',
      'commit',
      '-q',
      '--no-verify',
      '-m',
      'generated',
    );
    log(`generated ${projects} projects (${files} files) in ${ws}`);
    phases['generate + git'] = seconds(t);

    // 3. Install as a user would: registry packages and real (not linked) packages from tarballs.
    t = performance.now();
    const docker = await dockerVersion(ws);
    log(
      docker
        ? `@nx/docker ${docker} will be measured`
        : `no @nx/docker release of major ${NX_VERSION.split('.')[0]}: the @nx/docker anchor is skipped`,
    );
    const specs = [`nx@${NX_VERSION}`, `@nx/devkit@${DEVKIT_VERSION}`, ...(docker ? [`@nx/docker@${docker}`] : []), pluginTgz, noopTgz];
    log(`npm install ${specs.join(' ')}`);
    await run([...NPM, 'install', '--save-dev', '--save-exact', '--prefer-offline', '--no-audit', '--no-fund', ...specs], {
      cwd: ws,
      env: cleanEnv(),
    });
    phases['npm install'] = seconds(t);

    // 4. Measurements.
    t = performance.now();
    const nxPkg = JSON.parse(readFileSync(join(ws, 'node_modules', 'nx', 'package.json'), 'utf8'));
    const nxBin = join(ws, 'node_modules', 'nx', typeof nxPkg.bin === 'string' ? nxPkg.bin : nxPkg.bin.nx);
    const nx = (...args) => run([process.execPath, nxBin, ...args], { cwd: ws, env: NX_ENV, timeoutMs: 5 * 60_000, captureDir: root });
    const setPlugins = (plugins) => writeFileSync(join(ws, 'nx.json'), nxJson(plugins));
    const clean = () => {
      rmSync(join(ws, '.nx', 'workspace-data'), { recursive: true, force: true });
      rmSync(join(ws, '.nx', 'cache'), { recursive: true, force: true });
    };
    const showProjects = async () => {
      const r = await nx('show', 'projects');
      const names = r.stdout.split('\n').filter((l) => /^p\d{4}$/.test(l.trim()));
      if (names.length !== projects)
        throw new Error(`nx show projects listed ${names.length} of the ${projects} projects:\n${r.stdout.slice(0, 2000)}`);
      return r.ms;
    };

    await assertInference({ nx, setPlugins, clean, projects, dir: root });
    log(`${PLUGIN} infers deploy targets (checked p0000, p0001 and how many projects have a deploy target)`);

    const variants = [
      { name: 'none', plugins: [] },
      { name: 'do-nothing', plugins: [NOOP_PLUGIN] },
      ...(docker ? [{ name: '@nx/docker', plugins: ['@nx/docker'] }] : []),
      { name: 'nx-deploy', plugins: [PLUGIN] },
    ].map((v) => ({ ...v, cold: [], warm: [] }));

    const loadBefore = loadavg()[0];
    // Runs interleave the variants round by round, so drift on a shared machine hits them all alike.
    for (let r = 1; r <= runs; r++) {
      for (const v of variants) {
        setPlugins(v.plugins);
        clean();
        v.cold.push(await showProjects());
      }
      log(`cold ${r}/${runs}: ${variants.map((v) => `${v.name} ${Math.round(v.cold.at(-1))}ms`).join(', ')}`);
    }
    // Warm runs interleave too: each measured run follows a warm-up run with the same nx.json.
    for (let r = 1; r <= runs; r++) {
      for (const v of variants) {
        setPlugins(v.plugins);
        await showProjects();
        v.warm.push(await showProjects());
      }
      log(`warm ${r}/${runs}: ${variants.map((v) => `${v.name} ${Math.round(v.warm.at(-1))}ms`).join(', ')}`);
    }
    const loadAfter = loadavg()[0];
    phases.measurements = seconds(t);

    // 5. Where the time goes, from Nx's own performance marks (NX_PERF_LOGGING), warm: what a plugin
    // does itself (its createNodes, in a worker, beside Nx's own plugins) against what Nx does with
    // what it returned (merging the inferred targets into the project configurations).
    const profile = [];
    for (const v of variants) {
      setPlugins(v.plugins);
      const marks = [];
      for (let r = 0; r < Math.max(3, Math.min(runs, 7)); r++) {
        const r = await run([process.execPath, nxBin, 'show', 'projects'], {
          cwd: ws,
          env: { ...NX_ENV, NX_PERF_LOGGING: 'true' },
          captureDir: root,
        });
        marks.push(perfMarks(`${r.stdout}\n${r.stderr}`));
      }
      const mark = (re) => median(marks.map((m) => Object.entries(m).find(([k]) => re.test(k))?.[1]).filter((x) => x !== undefined));
      profile.push({
        name: v.name,
        own: mark(/^(?!nx\/)[^']*:createNodes$/),
        merge: mark(/^createNodes:merge$/),
        configs: mark(/^build-project-configs$/),
      });
    }

    // 5. Report.
    const { text } = summarize(variants, { baseline: 'none', anchor: 'do-nothing', subject: 'nx-deploy', goals: GOALS });
    console.log(`\nnx show projects, ${projects} projects, median of ${runs} runs, Node ${process.version}, nx ${nxPkg.version}, NX_DAEMON=false`);
    console.log('cold: .nx/workspace-data and .nx/cache removed before each run; warm: measured after a warm-up run with the same nx.json');
    console.log(
      `1-minute load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ${availableParallelism()} cores (other work on the machine skews wall times)`,
    );
    if (!docker) console.log(`@nx/docker: skipped, no release of major ${NX_VERSION.split('.')[0]} on the registry`);
    console.log(`\n${text}\n`);
    const cell = (v) => (Number.isNaN(v) || v === undefined ? '-' : `${Math.round(v)} ms`);
    console.log(
      "Nx performance marks, warm, median (NX_PERF_LOGGING): the plugin's own createNodes | Nx merging the results | all project configurations",
    );
    for (const p of profile)
      console.log(`  ${p.name.padEnd(12)} ${cell(p.own).padStart(8)} | ${cell(p.merge).padStart(8)} | ${cell(p.configs).padStart(8)}`);
    console.log('');
    console.log('(goals are reported, never enforced: the exit code only says whether the measurements ran)');
  } finally {
    if (keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  console.log(
    `bench took ${seconds(started)} (${Object.entries(phases)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
}

/** Nx's `Time taken for 'name' 12.3ms` lines, by name. */
function perfMarks(output) {
  return Object.fromEntries([...output.matchAll(/Time taken for '([^']+)' ([\d.]+)ms/g)].map((m) => [m[1], Number(m[2])]));
}

/** The nx-deploy variant must infer real targets, or its timing would mean nothing (one `nx graph --file` run). */
async function assertInference({ nx, setPlugins, clean, projects, dir }) {
  setPlugins([PLUGIN]);
  clean();
  const file = join(dir, 'graph.json');
  await nx('graph', `--file=${file}`);
  const { nodes } = JSON.parse(readFileSync(file, 'utf8')).graph;
  const fail = (what) => {
    throw new Error(`${PLUGIN} did not infer what it should in the generated workspace: ${what}`);
  };
  const targetsOf = (i) => nodes[projectName(i)]?.data?.targets ?? {};
  for (const target of ['migrate', 'rollout', 'smoke', 'deploy']) {
    if (!targetsOf(0)[target]) fail(`backend ${projectName(0)} has no ${target} target (targets: ${Object.keys(targetsOf(0)).join(', ')})`);
  }
  // a list of backends or a pattern (e.g. a tag) both count: the plugin may change how it names them
  const afterBackends = targetsOf(1).deploy?.dependsOn?.some((d) => d?.projects?.length && d.target === 'deploy');
  if (!afterBackends) fail(`frontend ${projectName(1)}'s deploy does not depend on the backends' deploy`);
  const withDeploy = Object.values(nodes).filter((n) => n.data?.targets?.deploy).length;
  const expected = Array.from({ length: projects }, (_, i) => kindOf(i)).filter((k) => k !== 'private-lib').length;
  if (withDeploy !== expected) fail(`${withDeploy} projects have a deploy target, expected ${expected} (all but the private libraries)`);
}

const options = parseOptions();
main(options).then(
  () => process.exit(0),
  (err) => {
    console.error(`\nbench failed: ${err.message}${options.keep ? '' : '\n(rerun with --keep to inspect the generated workspace)'}`);
    process.exit(1);
  },
);

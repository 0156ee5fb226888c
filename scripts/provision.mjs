// Checks every system tool the tests need (provision/tools.mjs) and installs what is missing:
// apt packages and scripts/ci/containers.sh as root, cargo-http-registry (scripts/ci/crate-registry.sh)
// into the test tools folder as any user. Without root, and with something missing that needs it,
// it installs nothing and says which command to run. `npm test` runs it first and stops unless it exits 0.
//   node scripts/provision.mjs        (or: sudo <node> scripts/provision.mjs, as the message says)
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { installWaves, planProvisioning } from './provision/plan.mjs';
import { testToolsDir } from './provision/tools-dir.mjs';
import { tools } from './provision/tools.mjs';

const root = join(import.meta.dirname, '..');
const isPresent = (tool) => tool.check.every((c) => (c.includes('/') ? existsSync(c) : onPath(c)));

const plan = planProvisioning(
  tools.map((t) => ({ ...t, present: isPresent(t) })),
  {
    isRoot: process.getuid() === 0,
    sudoForUser: process.getuid() === 0 && Boolean(process.env.SUDO_UID) && process.env.SUDO_UID !== '0',
    // The node running this file, not the `node` sudo would find: root's PATH may hold another version.
    sudoCommand: `sudo ${process.execPath} ${join(root, 'scripts', 'provision.mjs')}`,
  },
);
if (plan.message) {
  console.error(`\nprovision: ${plan.message}`);
  process.exit(1);
}

let aptUpdated = false;
const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const waves = installWaves(plan.install);
for (const tool of waves.sequential) {
  const start = Date.now();
  console.log(`provision: installing ${tool.name}`);
  install(tool);
  checkInstalled(tool);
  console.log(`provision: ${tool.name} installed in ${seconds(start)}`);
}
if (waves.parallel.length) {
  console.log(`provision: building ${waves.parallel.map((t) => t.name).join(', ')} at the same time (each line prefixed with its tool)`);
  const results = await Promise.all(waves.parallel.map(buildInToolsFolder));
  const failed = results.filter((r) => !r.ok);
  if (failed.length) fail(failed.map((r) => r.message).join('; '));
}
if (plan.install.length) console.log(`provision: ${plan.install.length} tool(s) installed in ${seconds(started)}`);
// Only root through sudo leaves something: what the user installs without root, on their next run.
const left = tools.filter((t) => !t.buildsOnly && !isPresent(t));
if (left.length) console.log(`provision: done as root; left for your own \`npm test\` (no root needed): ${left.map((t) => t.name).join(', ')}`);
else console.log(`provision: every tool the tests need is present${plan.install.length ? '' : ', nothing to install'}`);

function checkInstalled(tool) {
  if (!isPresent(tool)) fail(`${tool.name} is still missing after its install; its check is: ${tool.check.join(', ')}`);
}

/** One script of scripts/ci run alongside the others, its output prefixed with the tool's name. */
function buildInToolsFolder(tool) {
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawnChild('bash', [join(root, tool.install.script)], {
      env: { ...process.env, POD_TEST_TOOLS: testToolsDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) console.log(`[${tool.name}] ${line}`);
      });
      stream.on('end', () => rest && console.log(`[${tool.name}] ${rest}`));
    }
    child.on('error', (err) => resolve({ ok: false, message: `${tool.install.script} could not start: ${err.message}` }));
    child.on('close', (code) => {
      if (code !== 0) return resolve({ ok: false, message: `${tool.name}: \`bash ${tool.install.script}\` exited with ${code}` });
      if (!isPresent(tool))
        return resolve({ ok: false, message: `${tool.name} is still missing after its install; its check is: ${tool.check.join(', ')}` });
      console.log(`provision: ${tool.name} installed in ${seconds(start)}`);
      resolve({ ok: true });
    });
  });
}

function install(tool) {
  if (tool.install.script) return run('bash', [join(root, tool.install.script)], { POD_TEST_TOOLS: testToolsDir() });
  const apt = ['install', '-y', '-qq', '--no-install-recommends', ...tool.install.apt];
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  // Try with the package lists already on the machine first; refresh them (once) only if that fails.
  if (!aptUpdated && spawn('apt-get', apt, env).status === 0) return;
  if (!aptUpdated) run('apt-get', ['update', '-qq']);
  aptUpdated = true;
  run('apt-get', apt, env);
}

function spawn(command, args, env = {}) {
  return spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
}

function run(command, args, env) {
  const r = spawn(command, args, env);
  if (r.status !== 0) fail(`\`${command} ${args.join(' ')}\` ${r.error ? `could not start: ${r.error.message}` : `exited with ${r.status}`}`);
}

function fail(message) {
  console.error(`provision: ${message}`);
  process.exit(1);
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return statSync(join(dir, command)).isFile();
    } catch {
      return false;
    }
  });
}

import { createServer } from 'node:net';
import { join } from 'node:path';
import { formatFiles, getProjects, logger, readNxJson, updateNxJson, type GeneratorCallback, type Tree } from '@nx/devkit';
import { DEPLOY_FILE } from '../../config/deploy-file-path.ts';
import type { ProjectFacts } from '../../config/project.ts';
import { nodeVersionProblem } from '../../core/node-version.ts';
import { detectProject } from '../../inference/detect.ts';
import { PLUGIN } from '../../config/plugin-name.ts';
import { starterDeployFile } from './starter-deploy-file.ts';

export interface InitOptions {
  skipFormat?: boolean;
}

/** The state folder `nx add` git-ignores: the default stateDir. */
const STATE_DIR = '.nx-deploy';

/** A port nothing listens on now, from the kernel (distinct for each service). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** What inference will see of each project, read from the tree (the files Nx would match). */
function detectAll(tree: Tree): ProjectFacts[] {
  return [...getProjects(tree).values()].flatMap((config) => {
    const root = config.root;
    if (root === '.' || root === '') return [];
    const names = new Set(tree.children(root));
    if (tree.exists(join(root, 'migrations')) && !tree.isFile(join(root, 'migrations'))) names.add('migrations');
    const read = (f: string) => (names.has(f) ? (tree.read(join(root, f), 'utf-8') ?? undefined) : undefined);
    const facts = detectProject(root, {
      names,
      prismaSchema: tree.exists(join(root, 'prisma/schema.prisma')),
      packageJson: read('package.json'),
      projectJson: read('project.json'),
    });
    return facts ? [facts] : [];
  });
}

function registerPlugin(tree: Tree): boolean {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  if (plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN)) return false;
  updateNxJson(tree, { ...nxJson, plugins: [...plugins, PLUGIN] });
  return true;
}

function ignoreStateDir(tree: Tree): boolean {
  const current = tree.exists('.gitignore') ? (tree.read('.gitignore', 'utf-8') ?? '') : '';
  const lines = current.split('\n').map((l) => l.trim().replace(/^\//, '').replace(/\/$/, ''));
  if (lines.includes(STATE_DIR)) return false;
  const sep = current === '' || current.endsWith('\n') ? '' : '\n';
  tree.write('.gitignore', `${current}${sep}\n# nx-deploy: ledger, locks, logs and release folders of local deploys\n/${STATE_DIR}\n`);
  return true;
}

/**
 * `nx add @pod-protocol/nx-deploy`: registers the plugin in nx.json, writes a starter deploy.json
 * from the projects it finds, git-ignores the state folder and says what to do next. Running it
 * again changes nothing that is already there.
 */
export async function initGenerator(tree: Tree, options: InitOptions = {}): Promise<GeneratorCallback> {
  const problem = nodeVersionProblem(process.versions.node);
  if (problem) logger.warn(problem);
  const registered = registerPlugin(tree);
  const detected = detectAll(tree);
  let wroteDeployFile = false;
  if (!tree.exists(DEPLOY_FILE)) {
    // One local port per service and per frontend's site.
    const local = detected.filter((p) => p.role === 'backend' || p.role === 'frontend').length;
    tree.write(DEPLOY_FILE, `${JSON.stringify(starterDeployFile(detected, await freePorts(local)), null, 2)}\n`);
    wroteDeployFile = true;
  }
  const ignored = ignoreStateDir(tree);
  if (!options.skipFormat) await formatFiles(tree);
  return () => {
    const done = [
      registered ? `registered ${PLUGIN} in nx.json` : `${PLUGIN} was already registered in nx.json`,
      wroteDeployFile ? `wrote ${DEPLOY_FILE}` : `kept the existing ${DEPLOY_FILE}`,
      ignored ? `git-ignored ${STATE_DIR}/` : undefined,
    ].filter(Boolean);
    const roles = detected.filter((p) => p.role !== 'none').map((p) => `${p.name} (${p.role})`);
    logger.info(
      [
        `nx-deploy: ${done.join('; ')}.`,
        `Projects it deploys: ${roles.length ? roles.join(', ') : 'none detected (a Dockerfile makes a backend, a Vite config a frontend, a non-private package.json a package)'}.`,
        'Next:',
        '  npx nx run-many -t deploy -c development     deploy everything on this machine',
        `  edit ${DEPLOY_FILE}: staging and production hold example.com placeholders and the variables to set`,
        ...(detected.some((p) => p.role === 'backend')
          ? [
              '  cosign generate-key-pair                     the image signing keys: commit cosign.pub as keys/cosign.pub, put cosign.key in STAGING_COSIGN_KEY',
            ]
          : []),
        '  npx nx-deploy plan --env staging             what a staging deploy would run, without running it',
      ].join('\n'),
    );
  };
}

export default initGenerator;

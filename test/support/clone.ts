import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa, type Options } from 'execa';
import { stopWhatDeploysLeft } from './processes.ts';
import { workspaceRoot } from './workspace.ts';

export interface Clone {
  dir: string;
  run(file: string, args: string[], env?: Record<string, string>, options?: Options): ReturnType<typeof execa>;
  /**
   * Runs one of the workspace's commands as an npm script does (node_modules/.bin first on PATH),
   * without npx, whose own start (~0.45 s here) a timing of the command itself must not include.
   */
  bin(name: string, args: string[], env?: Record<string, string>): ReturnType<typeof execa>;
  git(...args: string[]): Promise<string>;
  commit(message: string): Promise<void>;
  /** Stops what its deploys left running, and removes it. */
  remove(): Promise<void>;
}

/**
 * A clone of the workspace's committed state in a temp dir, for flows that rewrite files, commit
 * and tag (releases). It borrows the workspace's installed node_modules (a symlink, instead of a
 * minute of npm ci) and its build outputs (dist/ folders are not in git).
 */
export async function cloneWorkspace(): Promise<Clone> {
  const dir = mkdtempSync(join(tmpdir(), 'pod-clone-'));
  await execa('git', ['clone', '--quiet', '--no-hardlinks', workspaceRoot, dir]);
  symlinkSync(join(workspaceRoot, 'node_modules'), join(dir, 'node_modules'));
  // `node_modules/` in .gitignore matches folders only; this one is a symlink.
  appendFileSync(join(dir, '.git', 'info', 'exclude'), '\nnode_modules\n');
  const built = [...readdirSync(join(workspaceRoot, 'packages')).map((p) => join('packages', p)), 'tools/deploy-plugin'];
  for (const rel of built) {
    if (existsSync(join(workspaceRoot, rel, 'dist'))) cpSync(join(workspaceRoot, rel, 'dist'), join(dir, rel, 'dist'), { recursive: true });
  }
  const env = {
    GIT_AUTHOR_NAME: 'release-test',
    GIT_AUTHOR_EMAIL: 'release@test.local',
    GIT_COMMITTER_NAME: 'release-test',
    GIT_COMMITTER_EMAIL: 'release@test.local',
  };
  const clone: Clone = {
    dir,
    run: (file, args, extra = {}, options = {}) =>
      execa(file, args, {
        cwd: dir,
        env: { ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', ...extra },
        reject: false,
        all: true,
        ...options,
      }),
    bin: (name, args, extra = {}) => {
      const bin = join(dir, 'node_modules', '.bin');
      return clone.run(join(bin, name), args, { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, ...extra });
    },
    git: async (...args) => (await execa('git', args, { cwd: dir, env })).stdout,
    commit: async (message) => {
      await execa('git', ['add', '-A'], { cwd: dir, env });
      await execa('git', ['commit', '--quiet', '--allow-empty', '-m', message], { cwd: dir, env });
    },
    remove: async () => {
      // Its deploys' state folders (.nx-deploy, or the one a test's deploy file names).
      for (const state of readdirSync(dir).filter((f) => f.startsWith('.nx-deploy'))) await stopWhatDeploysLeft(join(dir, state));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return clone;
}

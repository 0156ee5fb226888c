import { userInfo } from 'node:os';
import { gitHead, gitUserName } from '../commands/git.ts';
import type { Runner } from '../core/run.ts';

/** Who is deploying: CI's actor first, then git's user name, then the OS account. */
export async function resolveActor(runner: Runner, environ: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = environ.DEPLOY_ACTOR || environ.GITHUB_ACTOR;
  if (fromEnv) return fromEnv;
  const git = await runner.run(gitUserName(), { quiet: true, allowFailure: true }).catch(() => undefined);
  return git?.exitCode === 0 && git.stdout.trim() ? git.stdout.trim() : userInfo().username;
}

/** The commit being deployed; 'unknown' outside a git work tree. */
export async function resolveGitSha(runner: Runner): Promise<string> {
  const res = await runner.run(gitHead(), { quiet: true, allowFailure: true }).catch(() => undefined);
  return res?.exitCode === 0 ? res.stdout.trim() : 'unknown';
}

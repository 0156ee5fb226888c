// Child processes for the benchmark: one promise-based spawn that captures output and measures
// wall time, and the npm command run by this same Node (the workspace's Node 22).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Children started with `group` run in their own process group, so a timeout or stopChildren()
 * also stops what they started (nx's plugin workers).
 */
const running = new Set();
const stop = (child, group) => {
  try {
    if (group) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // already gone
  }
};
export function stopChildren() {
  for (const child of running) stop(child, true);
}

/**
 * Runs argv[0] with argv[1..]; resolves { code, stdout, stderr, ms }. Throws (with the command,
 * folder and the end of its output) when it exits non-zero, unless `allowFailure`.
 * With `captureDir`, output goes to files there instead of pipes: nx 24 loses lines of
 * `nx show projects` written to a pipe its reader drains slowly (e.g. on a loaded machine).
 */
export function run(argv, { cwd, env = process.env, timeoutMs = 10 * 60_000, allowFailure = false, captureDir, group = false } = {}) {
  return new Promise((resolve, reject) => {
    const files = captureDir && { out: join(captureDir, 'stdout.txt'), err: join(captureDir, 'stderr.txt') };
    const fds = files && [openSync(files.out, 'w'), openSync(files.err, 'w')];
    const start = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, detached: group, stdio: ['ignore', ...(fds ?? ['pipe', 'pipe'])] });
    if (fds) fds.forEach((fd) => closeSync(fd));
    if (group && child.pid) running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => stop(child, group), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Error(`could not start ${argv.join(' ')} in ${cwd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const ms = performance.now() - start;
      if (files) {
        stdout = readFileSync(files.out, 'utf8');
        stderr = readFileSync(files.err, 'utf8');
      }
      const result = { code, stdout, stderr, ms };
      if ((code === 0 && !signal) || allowFailure) return resolve(result);
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      const why = signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, over ${timeoutMs / 1000}s` : ''})` : `exited ${code}`;
      reject(new Error(`${argv.join(' ')} ${why} in ${cwd}:\n${tail}`));
    });
  });
}

/** npm's own CLI under this Node when started by `npm run` (npm_execpath), else npm from PATH. */
export function npmCommand() {
  const cli = process.env.npm_execpath;
  return cli && /\.c?js$/.test(cli) ? [process.execPath, cli] : ['npm'];
}

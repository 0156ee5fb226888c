// Child processes for the benchmark: one promise-based spawn that captures output and measures
// wall time, and the npm command run by this same Node (the workspace's Node 22).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/**
 * Runs argv[0] with argv[1..]; resolves { code, stdout, stderr, ms }. Throws (with the command,
 * folder and the end of its output) when it exits non-zero, unless `allowFailure`.
 */
export function run(argv, { cwd, env = process.env, timeoutMs = 10 * 60_000, allowFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${argv.join(' ')} in ${cwd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - start;
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

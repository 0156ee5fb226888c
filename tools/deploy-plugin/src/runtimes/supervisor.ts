// Runs a local service with its output redacted into its log file:
//   node supervisor.ts <log file> <argv...>      (secrets as JSON {"secrets": [...]} on stdin)
// A service started by the process runtime outlives the deploy, so its output cannot pass
// through the deploy's own redacting logger; this small parent does the same job for as long as
// the service runs. It forwards stop signals and exits with the service's status.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { Redactor } from '../core/redact.ts';

const [logFile, ...argv] = process.argv.slice(2);
if (!logFile || !argv.length) {
  process.stderr.write('usage: supervisor <log file> <argv...> (secrets as JSON on stdin)\n');
  process.exit(2);
}

const redactor = new Redactor();
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
for (const secret of (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { secrets?: string[] }).secrets ?? []) redactor.add(secret);

closeSync(openSync(logFile, 'a', 0o600));
const write = (line: string) => appendFileSync(logFile, `${redactor.redact(line)}\n`);

const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
for (const stream of [child.stdout, child.stderr]) {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) write(line);
  });
  stream.on('end', () => partial && write(partial));
}
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  write(`[nx-deploy] could not start ${argv[0]}: ${err.message}`);
  process.exit(127);
});
child.on('close', (code, signal) => {
  write(`[nx-deploy] the service exited (${signal ? `signal ${signal}` : `code ${code}`})`);
  process.exit(code ?? 1);
});

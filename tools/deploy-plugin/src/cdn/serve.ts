// The static server of an fs site on loopback, started detached by a deploy: node serve.js <dir> <host> <port>.
import { createServer } from 'node:http';
import { siteHandler } from './static-server.ts';

const [dir, host, port] = process.argv.slice(2);
if (!dir || !host || !port) {
  process.stderr.write('usage: serve <site folder> <host> <port>\n');
  process.exit(2);
}
const server = createServer(siteHandler(dir));
server.on('error', (err) => {
  process.stderr.write(`cannot serve ${dir} on ${host}:${port}: ${err.message}\n`);
  process.exit(1);
});
server.listen(Number(port), host, () => process.stdout.write(`serving ${dir} on http://${host}:${port}/\n`));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => server.close(() => process.exit(0)));

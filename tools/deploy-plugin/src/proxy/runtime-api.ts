import { createConnection } from 'node:net';

/** Where HAProxy's runtime API answers from here: its unix socket, or a port forwarded to it. */
export type ApiEndpoint = { socket: string } | { host: string; port: number };

/**
 * Sends commands to HAProxy's runtime API in one connection (HAProxy runs `a; b; c` in order and
 * closes), resolving to what it answered. Rejects when nothing listens there.
 */
export function runtimeApi(endpoint: ApiEndpoint, commands: string[], timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = 'socket' in endpoint ? createConnection(endpoint.socket) : createConnection(endpoint.port, endpoint.host);
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`HAProxy's runtime API did not answer within ${timeoutMs / 1000} s`)));
    socket.on('connect', () => socket.end(`${commands.join('; ')}\n`));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';
import { freePort } from './ports.ts';
import { stopPid, waitFor } from './processes.ts';

/** A mailbox address as mailpit's API reports it. */
export interface MailpitAddress {
  Name: string;
  Address: string;
}

/** One entry of GET /api/v1/messages (newest first). */
export interface MailpitSummary {
  ID: string;
  MessageID: string;
  From: MailpitAddress;
  To: MailpitAddress[];
  Subject: string;
  Snippet: string;
  Created: string;
}

/** GET /api/v1/message/{ID}: the message parsed, bodies included. */
export interface MailpitMessage extends MailpitSummary {
  Text: string;
  HTML: string;
}

export interface Mailpit {
  smtpPort: number;
  /** The HTTP API and web UI, e.g. http://127.0.0.1:PORT. */
  apiUrl: string;
  /** An SMTP URL for this server; it accepts any user and password, so credentials are exercised but not checked. */
  smtpUrl(user?: string, pass?: string): string;
  messages(): Promise<MailpitSummary[]>;
  message(id: string): Promise<MailpitMessage>;
  stop(): Promise<void>;
}

/** Whether something accepts TCP connections on 127.0.0.1:port (the SMTP listener may come up after the API). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`mailpit: GET ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * mailpit (a REAL SMTP server, built by scripts/ci/mailpit.sh into the test tools folder) on two
 * free loopback ports, its mailbox in a temp dir; stopped by PID. SMTP AUTH (PLAIN/LOGIN without
 * TLS) is accepted for any credentials, so a client that logs in is served as in production.
 */
export async function startMailpit(): Promise<Mailpit> {
  const bin = join(testToolsDir(), 'bin', 'mailpit');
  if (!existsSync(bin)) throw new Error(`mailpit is not installed at ${bin}: run npm test (it provisions it) or scripts/ci/mailpit.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'pod-mailpit-'));
  const [httpPort, smtpPort] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  const logFile = join(dir, 'mailpit.log');
  const log = openSync(logFile, 'a');
  const argv = [
    ...['--listen', `127.0.0.1:${httpPort}`, '--smtp', `127.0.0.1:${smtpPort}`, '--database', join(dir, 'mail.db')],
    ...['--smtp-auth-accept-any', '--smtp-auth-allow-insecure', '--smtp-disable-rdns', '--disable-version-check'],
  ];
  const child = spawn(bin, argv, { stdio: ['ignore', log, log] });
  closeSync(log);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const stop = async () => {
    await stopPid(child.pid);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `mailpit on 127.0.0.1:${httpPort} (SMTP ${smtpPort})`,
      async () => {
        if (exited) throw new Error(`mailpit ${exited} before serving:\n${readFileSync(logFile, 'utf8')}`);
        const res = await fetch(`${apiUrl}/readyz`).catch(() => undefined);
        return (res?.ok && (await accepts(smtpPort))) || undefined;
      },
      15_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    smtpPort,
    apiUrl,
    smtpUrl: (user = 'alerts', pass = 'mail-pass') => `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${smtpPort}`,
    messages: async () => (await getJson<{ messages: MailpitSummary[] }>(`${apiUrl}/api/v1/messages`)).messages,
    message: (id) => getJson<MailpitMessage>(`${apiUrl}/api/v1/message/${encodeURIComponent(id)}`),
    stop,
  };
}

import { z } from 'zod';
import { parseServer, urlHost, type SshTarget } from '../core/ssh-target.ts';
import { variableName } from './fields.ts';

/** How a deploy logs in to an environment's servers. Host keys are pinned: nothing is trusted on first use. */
export const sshSchema = z
  .strictObject({
    user: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/)
      .optional()
      .describe('Login user where a server names none (default: ssh decides)'),
    port: z.int().min(1).max(65535).default(22),
    privateKeyVariable: variableName.describe('Variable holding the private key (the whole file, OpenSSH or PEM format)'),
    knownHostsVariable: variableName.optional().describe("Variable holding the servers' known_hosts lines"),
    knownHosts: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('The known_hosts lines themselves (public keys; `ssh-keyscan -p PORT HOST`, checked out of band)'),
  })
  .refine((s) => Boolean(s.knownHostsVariable) !== Boolean(s.knownHosts), {
    error: 'give the pinned host keys once: knownHostsVariable or knownHosts',
    path: ['knownHosts'],
  })
  .describe("SSH to the environment's servers: key from a variable, host keys pinned (StrictHostKeyChecking=yes)");

export type SshSettings = z.infer<typeof sshSchema>;

const serverSpec = z.string().superRefine((spec, ctx) => {
  try {
    parseServer(spec);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** The fields a service gets for running on servers (container and compose runtimes). */
export const serverFields = {
  servers: z
    .array(serverSpec)
    .min(1)
    .optional()
    .describe(
      'Run it on these servers over SSH (`host`, `user@host` or `ssh://user@host:port`), rolled one after another; without them it runs where the deploy runs',
    ),
  serverUrl: z
    .string()
    .regex(/^https?:\/\/\{host\}(:\d+)?$/, { error: 'expected http://{host}:PORT ({host} is each server’s address)' })
    .optional()
    .describe("Where the service answers on each server, {host} being the server's address (default: url with its host replaced)"),
  rollout: z
    .strictObject({ parallel: z.int().min(1).default(1).describe('Servers rolled at once; the first that fails stops the roll-out') })
    .optional(),
  migrate: z
    .strictObject({
      on: z
        .enum(['runner', 'server'])
        .default('runner')
        .describe('runner: migrate from the machine that deploys; server: through an SSH tunnel of the first server (a database only it reaches)'),
    })
    .optional(),
};

/** One server of a service: how to reach it, and where the service answers there. */
export interface ServerPlacement {
  target: SshTarget;
  /** The service's URL on this server, e.g. http://10.0.0.5:3200. */
  url: string;
}

/** Pure: a service's servers with their URLs (serverUrl, else the service URL with the server's host). */
export function placementsOf(
  service: { url: string; servers?: string[]; serverUrl?: string },
  ssh: Pick<SshSettings, 'user' | 'port'> | undefined,
): ServerPlacement[] {
  return (service.servers ?? []).map((spec) => {
    const target = parseServer(spec, { user: ssh?.user, port: ssh?.port });
    if (service.serverUrl) return { target, url: service.serverUrl.replace('{host}', urlHost(target)) };
    const u = new URL(service.url);
    u.hostname = urlHost(target);
    return { target, url: u.href.replace(/\/$/, '') };
  });
}

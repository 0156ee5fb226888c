import { parseArgs } from 'node:util';
import { DEFAULT_API_URL, UsageError } from './usage.js';

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'ready' }
  | { kind: 'agents-list' }
  | { kind: 'agents-create'; name: string; description?: string }
  | { kind: 'agents-get'; id: string };

export interface Invocation {
  command: Command;
  apiUrl: string;
  /** Undefined when POD_API_TOKEN is unset or empty. */
  token: string | undefined;
  json: boolean;
}

const OPTIONS = {
  'api-url': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  name: { type: 'string' },
  description: { type: 'string' },
} as const;

/** Turns argv (without node and script) plus the environment into what to do, or a UsageError. */
export function parseInvocation(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Invocation {
  const tokenFlag = argv.find((arg) => /^--?token(=|$)/.test(arg));
  if (tokenFlag !== undefined) {
    throw new UsageError(
      'there is no --token option: put the token in the POD_API_TOKEN environment variable ' +
        '(command lines are visible to other users of the machine)',
    );
  }

  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's messages carry a long second sentence about '--'; the first one says what is wrong.
    const message = error instanceof Error ? error.message.split('. ')[0] : String(error);
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
  const { values, positionals } = parsed;

  const base = {
    apiUrl: resolveApiUrl(values['api-url'], env.POD_API_URL),
    token: env.POD_API_TOKEN === '' ? undefined : env.POD_API_TOKEN,
    json: values.json === true,
  };
  if (values.help) return { ...base, command: { kind: 'help' } };
  if (values.version) return { ...base, command: { kind: 'version' } };

  const command = parseCommand(positionals, values.name, values.description);
  if (command.kind !== 'agents-create') {
    if (values.name !== undefined) throw new UsageError("--name is only used by 'pod agents create'");
    if (values.description !== undefined) throw new UsageError("--description is only used by 'pod agents create'");
  }
  return { ...base, command };
}

function parseCommand(positionals: string[], name: string | undefined, description: string | undefined): Command {
  const [first, second, ...rest] = positionals;
  switch (first) {
    case undefined:
      throw new UsageError('missing command');
    case 'health':
    case 'ready':
      expectNoMore(positionals.slice(1));
      return { kind: first };
    case 'agents':
      break;
    default:
      throw new UsageError(`unknown command '${first}'`);
  }

  switch (second) {
    case undefined:
      throw new UsageError("missing subcommand: 'pod agents list', 'pod agents create' or 'pod agents get <id>'");
    case 'list':
      expectNoMore(rest);
      return { kind: 'agents-list' };
    case 'create':
      expectNoMore(rest);
      if (name === undefined) throw new UsageError("'pod agents create' needs --name <name>");
      if (name.trim() === '') throw new UsageError('--name must not be empty');
      return description === undefined ? { kind: 'agents-create', name } : { kind: 'agents-create', name, description };
    case 'get': {
      const [id, ...extra] = rest;
      if (id === undefined || id === '') throw new UsageError("'pod agents get' needs an agent id");
      expectNoMore(extra);
      return { kind: 'agents-get', id };
    }
    default:
      throw new UsageError(`unknown agents subcommand '${second}'`);
  }
}

function expectNoMore(extra: string[]): void {
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
}

function resolveApiUrl(flag: string | undefined, fromEnv: string | undefined): string {
  const [value, source] = flag !== undefined ? [flag, '--api-url'] : fromEnv ? [fromEnv, 'POD_API_URL'] : [DEFAULT_API_URL, 'default'];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} '${value}' is not a URL; expected e.g. ${DEFAULT_API_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source} '${value}' must be an http:// or https:// URL, e.g. ${DEFAULT_API_URL}`);
  }
  if (url.search || url.hash) {
    throw new UsageError(`${source} '${value}' must not have a query or fragment`);
  }
  return value;
}

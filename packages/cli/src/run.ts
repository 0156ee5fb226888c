import { PodApiError, PodClient, type FetchLike } from '@pod-protocol/sdk';
import { parseInvocation, type Invocation } from './args.js';
import { formatAgent, formatAgentList, formatHealth, formatJson, formatReady } from './format.js';
import { HELP, UsageError } from './usage.js';
import { CLI_VERSION } from './version.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Replacement for the global fetch (tests). */
  fetch?: FetchLike;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * The whole CLI, without touching process state: returns the exit code.
 * `argv` excludes node and the script path; `env` supplies POD_API_URL and POD_API_TOKEN.
 */
export async function run(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`pod: ${error.message} (run 'pod --help' for usage)\n`);
    return EXIT_USAGE;
  }

  try {
    return await execute(invocation, io);
  } catch (error) {
    io.stderr(`pod: ${describeFailure(error, invocation)}\n`);
    return EXIT_FAILED;
  }
}

async function execute({ command, apiUrl, token, json }: Invocation, io: CliIo): Promise<number> {
  if (command.kind === 'help') {
    io.stdout(HELP);
    return EXIT_OK;
  }
  if (command.kind === 'version') {
    io.stdout(`${CLI_VERSION}\n`);
    return EXIT_OK;
  }

  const client = new PodClient({ baseUrl: apiUrl, token, ...(io.fetch ? { fetch: io.fetch } : {}) });
  const print = <T>(value: T, asText: (value: T) => string, asJson: unknown = value) => io.stdout(json ? formatJson(asJson) : asText(value));

  switch (command.kind) {
    case 'health':
      print(await client.health(), formatHealth);
      return EXIT_OK;
    case 'ready': {
      const readiness = await client.ready();
      if (json) io.stdout(formatJson(readiness));
      else if (readiness.ready) io.stdout(formatReady(readiness));
      else io.stderr(`pod: the API at ${client.baseUrl} is not ready: ${formatReady(readiness)}`);
      return readiness.ready ? EXIT_OK : EXIT_FAILED;
    }
    case 'agents-list': {
      const agents = await client.listAgents();
      // Same shape as the API's answer, so scripts can use one jq filter for both.
      print(agents, formatAgentList, { agents });
      return EXIT_OK;
    }
    case 'agents-create': {
      const input = command.description === undefined ? { name: command.name } : { name: command.name, description: command.description };
      print(await client.createAgent(input), (agent) => `Created agent ${agent.id}\n${formatAgent(agent)}`);
      return EXIT_OK;
    }
    case 'agents-get':
      print(await client.getAgent(command.id), formatAgent);
      return EXIT_OK;
  }
}

function describeFailure(error: unknown, invocation: Invocation): string {
  if (error instanceof PodApiError) {
    const oneLine = error.message.replace(/\s*\n\s*/g, ' ');
    if (error.status === 401 && invocation.token === undefined) {
      return `${oneLine}: set the POD_API_TOKEN environment variable`;
    }
    return oneLine;
  }
  // Not an API answer: a bug or an environment problem. Still one line, with what we know.
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

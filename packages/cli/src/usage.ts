export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export const HELP = `Usage: pod [options] <command>

Talk to a POD Protocol API server.

Commands:
  health                      Show the API's status, version and git SHA
  ready                       Check that the API can serve requests (exit 1 if not)
  agents list                 List agents
  agents create --name <name> [--description <text>]
                              Create an agent
  agents get <id>             Show one agent

Options:
  --api-url <url>   API base URL (default: $POD_API_URL, else ${DEFAULT_API_URL})
  --json            Print the API's JSON instead of text
  -h, --help        Show this help
  --version         Print the CLI version

Environment:
  POD_API_URL       API base URL, when --api-url is not given
  POD_API_TOKEN     Bearer token for the agents commands (scopes agents:read,
                    agents:write). There is no flag for it on purpose: command
                    lines are visible to other users of the machine.

Exit codes: 0 success, 1 request failed or API not ready, 2 usage error.
`;

/** A mistake in how pod was invoked: reported in one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

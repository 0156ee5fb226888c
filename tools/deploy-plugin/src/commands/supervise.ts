import type { Command } from '../core/run.ts';

/**
 * A local service started under the supervisor (runtimes/supervisor.ts), which writes its output,
 * redacted, to `logFile`: run by the Node running this deploy, so the supervisor is this plugin's.
 */
export function supervised(supervisor: string, logFile: string, argv: string[]): Command {
  return { argv: [process.execPath, supervisor, logFile, ...argv] };
}

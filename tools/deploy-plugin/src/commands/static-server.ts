import type { Command } from '../core/run.ts';

/** The fs site's static server (cdn/serve.ts), run by the Node running this deploy. */
export function staticServer(script: string, dir: string, host: string, port: number): Command {
  return { argv: [process.execPath, script, dir, host, String(port)] };
}

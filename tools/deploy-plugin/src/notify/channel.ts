import { UserError } from '../core/errors.ts';
import type { AttemptResult } from './attempts.ts';

export interface ChannelContext {
  environ: NodeJS.ProcessEnv;
  timeoutMs: number;
  now(): number;
}

/** A channel ready to carry one alert: each attempt() is one try; `secrets` are the values it read. */
export interface PreparedSend {
  secrets: string[];
  attempt(): Promise<AttemptResult>;
  close?(): void;
}

/** The value of the variable a channel reads its secret from, or an error naming the variable (never a value). */
export function readVariable(environ: NodeJS.ProcessEnv, variable: string, what: string): string {
  const value = environ[variable]?.trim();
  if (!value) throw new UserError(`${variable} is not set (it should hold ${what})`);
  return value;
}

/** As readVariable, for a URL with one of `protocols`; says what is wrong without echoing the URL. */
export function readUrlVariable(environ: NodeJS.ProcessEnv, variable: string, what: string, protocols: string[]): URL {
  const value = readVariable(environ, variable, what);
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !protocols.includes(url.protocol.replace(/:$/, ''))) {
    throw new UserError(`${variable} does not hold ${what} (expected a ${protocols.join(' or ')} URL)`);
  }
  return url;
}

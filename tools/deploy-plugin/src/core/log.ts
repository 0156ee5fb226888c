import type { Redactor } from './redact.ts';

/** Every line a deploy prints goes through here: prefixed with where it comes from, redacted. */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  child(prefix: string): Logger;
}

export function createLogger(redactor: Redactor, prefix = '', write: (s: string) => unknown = (s) => process.stdout.write(s)): Logger {
  const emit = (line: string) => {
    for (const part of redactor.redact(line).split('\n')) write(`${prefix ? `[${prefix}] ` : ''}${part}\n`);
  };
  return {
    info: emit,
    warn: (line) => emit(`warning: ${line}`),
    child: (p) => createLogger(redactor, prefix ? `${prefix} ${p}` : p, write),
  };
}

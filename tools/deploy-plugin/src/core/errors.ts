/**
 * An error a person can act on: what was wrong, where, and what to do. It is printed as one
 * paragraph, never with a stack trace. Anything else reaching the top is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof Error && err.name === 'UserError';
}

/** The text to print for an error that ended a deploy step, after secrets are removed. */
export function describeError(err: unknown, redact: (text: string) => string): string {
  if (isUserError(err)) return redact(err.message);
  if (err instanceof Error) return redact(err.stack ?? err.message);
  return redact(String(err));
}

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

/** A step failed and put the previous version back itself; the deploy is recorded as rolled back. */
export class RolledBack extends UserError {
  readonly restored: string;

  constructor(message: string, restored: string) {
    super(`${message}; ${restored}`);
    this.restored = restored;
  }
}

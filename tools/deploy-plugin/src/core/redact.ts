/**
 * Removes secret values from any text before it is printed, recorded in the ledger or put in an
 * error. Secrets are registered by value: the variables named in deploy.json, and tokens a step
 * generates or reads while it runs.
 */
export class Redactor {
  private readonly values = new Set<string>();
  /** Longest first, so a secret that contains another is replaced whole; kept sorted as values come. */
  private ordered: string[] = [];

  /** Values shorter than 4 characters are refused: replacing them would shred ordinary output. */
  add(value: string | undefined): void {
    if (!value || value.length < 4 || this.values.has(value)) return;
    this.values.add(value);
    this.ordered = [...this.values].sort((a, b) => b.length - a.length);
    // A URL's password also travels on its own (PGPASSWORD, basic auth): redact it too.
    const password = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^/@]+)@/i.exec(value)?.[1];
    if (password && password.length >= 4) {
      this.values.add(password);
      this.ordered = [...this.values].sort((a, b) => b.length - a.length);
      try {
        this.add(decodeURIComponent(password));
      } catch {
        // a malformed %-escape: the raw form is redacted already
      }
    }
  }

  /** The registered values, for a process that must redact on its own (a local service's log). */
  secrets(): string[] {
    return [...this.values];
  }

  addFromEnv(names: Iterable<string>, env: NodeJS.ProcessEnv = process.env): void {
    for (const name of names) this.add(env[name]);
  }

  redact = (text: string): string => {
    let out = text;
    for (const value of this.ordered) {
      out = out.split(value).join('***');
      const encoded = encodeURIComponent(value);
      if (encoded !== value) out = out.split(encoded).join('***');
    }
    return out;
  };

  /** Redacts every string inside a JSON-like value (for ledger records), string by string. */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactDeep(v)])) as T;
    return value;
  }
}

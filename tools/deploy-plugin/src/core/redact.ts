/**
 * Removes secret values from any text before it is printed, recorded in the ledger or put in an
 * error. Secrets are registered by value: the variables named in deploy.json, and tokens a step
 * generates or reads while it runs. Each value is also registered in the forms it travels in: trimmed
 * (a pasted value's newline), JSON-escaped, URL-encoded and base64 (Basic auth, a config file).
 */
export class Redactor {
  private readonly values = new Set<string>();
  /** Longest first, so a secret that contains another is replaced whole; kept sorted as values come. */
  private ordered: string[] = [];

  /** Values shorter than 4 characters are refused: replacing them would shred ordinary output. */
  add(value: string | undefined): void {
    if (!value || value.length < 4 || this.values.has(value)) return;
    const trimmed = value.trim();
    for (const form of formsOf(trimmed)) if (form.length >= 4) this.values.add(form);
    if (trimmed !== value) this.values.add(value);
    this.ordered = [...this.values].sort((a, b) => b.length - a.length);
    // A URL's password also travels on its own (PGPASSWORD, basic auth): redact it too.
    const credentials = /^[a-z][a-z0-9+.-]*:\/\/([^/@:]*):([^/@]+)@/i.exec(trimmed);
    if (credentials && credentials[2]!.length >= 4) {
      this.add(credentials[2]);
      this.add(`${credentials[1]}:${credentials[2]}`);
      try {
        this.add(decodeURIComponent(credentials[2]!));
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
    for (const value of this.ordered) out = out.split(value).join('***');
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

/** Shortest base64 fragment worth redacting: shorter ones would match ordinary text. */
const MIN_BASE64 = 8;

/**
 * A value as it appears in text: itself, JSON-escaped, URL-encoded, and base64. Inside a longer
 * base64 text (`user:secret` in a Basic auth header) the value's encoding depends on where it starts
 * modulo 3 bytes, so the fragment each of the three alignments always produces is registered.
 */
export function formsOf(value: string): string[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  const bytes = Buffer.from(value);
  forms.add(bytes.toString('base64'));
  forms.add(bytes.toString('base64url'));
  for (const shift of [0, 1, 2]) {
    const body = bytes.subarray(shift, shift + Math.floor((bytes.length - shift) / 3) * 3);
    const fragment = body.toString('base64');
    if (fragment.length >= MIN_BASE64) forms.add(fragment);
  }
  return [...forms];
}

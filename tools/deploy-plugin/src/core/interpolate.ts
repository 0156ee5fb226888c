import { UserError } from './errors.ts';

const REF = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Fills ${NAME} (or ${NAME:-default}) from the environment. An unset variable without a default
 * is an error naming it and where it was used; in plan mode (`lenient`) the reference is kept.
 */
export function interpolate(template: string, environ: NodeJS.ProcessEnv, where: string, lenient = false): string {
  return template.replace(REF, (ref, name: string, fallback: string | undefined) => {
    const value = environ[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    if (lenient) return ref;
    throw new UserError(`${where} uses \${${name}}, but the environment variable ${name} is not set. Set it and deploy again.`);
  });
}

/** The variables a template refers to. */
export function referencedVariables(template: string): string[] {
  return [...template.matchAll(REF)].map((m) => m[1]!);
}

export function interpolateRecord(
  record: Record<string, string>,
  environ: NodeJS.ProcessEnv,
  where: string,
  lenient = false,
): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, interpolate(v, environ, `${where} ${k}`, lenient)]));
}

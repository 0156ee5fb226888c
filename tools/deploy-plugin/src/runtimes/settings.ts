import { interpolate } from '../core/interpolate.ts';

/**
 * A service's settings as templates (`${VAR}`, `${VAR:-default}` or literal text): what the
 * roll-out resolves to start it, and what a rollback resolves again to start the previous one.
 */
export type Settings = Record<string, string>;

/** Settings as a runtime may keep them on disk: resolved values, except secret ones kept by reference. */
export type StoredSettings = Record<string, { value: string } | { template: string }>;

/**
 * Pure: what to remember of settings so a rollback can start the previous version as it ran, with
 * no secret written down: a value that holds a secret is kept as its template (re-read from the
 * environment on rollback), any other as the value it had.
 */
export function storableSettings(templates: Settings, resolved: Record<string, string>, isSecret: (value: string) => boolean): StoredSettings {
  return Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, isSecret(v) ? { template: templates[k] ?? '' } : { value: v }]));
}

/** The values of stored settings, secret ones read again from the environment. */
export function resolveStored(stored: StoredSettings, environ: NodeJS.ProcessEnv, where: string): Record<string, string> {
  return Object.fromEntries(Object.entries(stored).map(([k, s]) => [k, 'value' in s ? s.value : interpolate(s.template, environ, `${where} ${k}`)]));
}

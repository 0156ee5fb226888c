import { z } from 'zod';
import { parseOrExplain } from '../config/validate.ts';
import { UserError } from '../core/errors.ts';
import type { ReleaseManifest } from './manifest.ts';
import type { ReleaseIndex } from './retention.ts';

// A site's index and manifests come back from the state store, which anything with write access to
// it could have changed: their ids and paths become folder and object names (a prune removes them),
// so they are held to the rules of what the plugin writes before anything uses them.

const id = z.string().regex(/^[0-9a-f]{12}$/, 'a release id is 12 hex characters (the hash of its file list)');
/** Site-relative and `/`-separated, never leaving the site: no absolute path, `..`, `.`, backslash or empty segment. */
const sitePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !/[\\\0]/.test(p) && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), {
    error: 'a file path stays inside the site (relative, no `..`, `.`, backslash or empty segment)',
  });

const indexSchema = z.looseObject({
  current: id.optional(),
  releases: z.array(
    z.looseObject({
      id,
      version: z.string(),
      gitSha: z.string(),
      deployId: z.string(),
      createdAt: z.string(),
      servedAt: z.string(),
      files: z.number(),
      bytes: z.number(),
    }),
  ),
});

const manifestSchema = z.looseObject({
  id,
  files: z.array(
    z.looseObject({
      path: sitePath,
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      md5: z.string(),
      size: z.number(),
      type: z.string(),
      immutable: z.boolean(),
    }),
  ),
});

const hint = (key: string) =>
  `nx-deploy never writes that: someone with write access to the state store changed ${key}, so nothing of this site was changed or deleted. Restore the object from the store's history, or remove the site's cdn/ folder in the store to start its releases afresh.`;

export function checkedIndex(value: unknown, key: string): ReleaseIndex {
  return parseOrExplain(indexSchema, value, `the state store's ${key}`, hint(key)) as ReleaseIndex;
}

export function checkedManifest(value: unknown, key: string, expectedId: string): ReleaseManifest {
  const m = parseOrExplain(manifestSchema, value, `the state store's ${key}`, hint(key)) as ReleaseManifest;
  if (m.id !== expectedId) throw new UserError(`the state store's ${key} describes release ${m.id}, not ${expectedId}. ${hint(key)}`);
  return m;
}

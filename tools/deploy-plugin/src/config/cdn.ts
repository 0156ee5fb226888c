import { z } from 'zod';
import { duration } from './duration.ts';
import { UserError } from '../core/errors.ts';
import type { Environment } from './environments.ts';
import { httpUrl, variableName } from './fields.ts';

/** Where a site is served when an environment that runs everything locally declares none. */
export const LOCAL_SITE_URL = 'http://127.0.0.1:4200';

const retention = {
  keepReleases: z
    .int()
    .min(1)
    .default(5)
    .describe("Releases whose files stay served (the current one included): rollback targets, and open tabs' chunks"),
  grace: duration("'24h', '30m' or '7d'")
    .default('24h')
    .describe('A release replaced less than this long ago keeps its files, however many releases came after it (skew protection)'),
};

const fsSite = z
  .strictObject({
    provider: z.literal('fs'),
    dir: z.string().min(1).optional().describe('The folder holding releases/ and current (default: <stateDir>/sites/<environment>/<project>)'),
    url: httpUrl.default(LOCAL_SITE_URL).describe('Where the site is served; on loopback this tool runs the static server itself'),
    ...retention,
  })
  .describe('A folder with one directory per release and an atomic `current` switch');

const s3Site = z
  .strictObject({
    provider: z.literal('s3'),
    bucket: z.string().min(3),
    prefix: z.string().default('').describe('Key prefix the site lives under (the bucket root when empty)'),
    region: z.string().default('us-east-1'),
    endpoint: httpUrl.optional().describe('Any S3-compatible store (R2, MinIO, versitygw); AWS S3 when unset'),
    forcePathStyle: z.boolean().default(false),
    accessKeyIdVariable: variableName.optional().describe("Variable holding the access key id (else the AWS SDK's default chain)"),
    secretAccessKeyVariable: variableName.optional(),
    url: httpUrl.describe("Where people load the site (the CDN or the bucket's public URL of index.html)"),
    invalidate: z
      .strictObject({ cloudfront: z.strictObject({ distributionId: z.string().min(1) }) })
      .optional()
      .describe('Invalidate the entry points (never the assets) after each switch'),
    ...retention,
  })
  .refine((s) => Boolean(s.accessKeyIdVariable) === Boolean(s.secretAccessKeyVariable), {
    error: "set both accessKeyIdVariable and secretAccessKeyVariable, or neither (the AWS SDK's default chain)",
    path: ['secretAccessKeyVariable'],
  })
  .describe('Any S3-compatible bucket: assets at their paths, entry points switched last');

export const siteSchema = z.discriminatedUnion('provider', [fsSite, s3Site]);
export type Site = z.infer<typeof siteSchema>;
export type S3Site = z.infer<typeof s3Site>;

/** The CDN sites of an environment, by frontend project. */
export const cdnSchema = z.record(z.string().min(1), siteSchema).default({}).describe('Where each frontend project is published, by project name');

/** An environment that runs its services as local processes publishes a frontend it declares no site for to a local folder. */
function localDefault(env: Environment): Site | undefined {
  return env.runtime === 'process' ? siteSchema.parse({ provider: 'fs' }) : undefined;
}

/** The site a frontend project publishes to in an environment, or an error saying what to add to deploy.json. */
export function siteOf(env: Environment, envName: string, project: string): Site {
  const site = env.cdn[project] ?? localDefault(env);
  if (!site) {
    throw new UserError(
      `${project}: no CDN site for ${envName}. Add environments.${envName}.cdn.${project} to deploy.json ` +
        `({"provider": "s3", "bucket": ..., "url": ...} or {"provider": "fs", "dir": ..., "url": ...}).`,
    );
  }
  return site;
}

/** Origins the environment's sites are loaded from: what its APIs must allow (CORS). */
export function siteOrigins(env: Environment): string[] {
  const sites = Object.values(env.cdn);
  const all = sites.length ? sites : [localDefault(env)].filter((s): s is Site => s !== undefined);
  return [...new Set(all.map((s) => new URL(s.url).origin))];
}

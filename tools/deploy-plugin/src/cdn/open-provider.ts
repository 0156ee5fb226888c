import { resolve } from 'node:path';
import type { Site } from '../config/cdn.ts';
import { s3Credentials } from '../config/s3-credentials.ts';
import { fileSafeName } from '../core/names.ts';
import type { Redactor } from '../core/redact.ts';
import { cloudfrontInvalidator } from './cloudfront.ts';
import { FsProvider } from './fs-provider.ts';
import type { CdnProvider } from './provider.ts';

export interface SiteLocation {
  workspaceRoot: string;
  stateDir: string;
  envName: string;
  project: string;
  environ: NodeJS.ProcessEnv;
  redactor: Redactor;
  log: (line: string) => void;
}

/** deploy.json's path of a site, for messages. */
export const siteField = (envName: string, project: string) => `environments.${envName}.cdn.${project}`;

/** The folder of an fs site: its own `dir`, else one per environment and project in the state folder. */
export function siteDir(site: Site & { provider: 'fs' }, at: Pick<SiteLocation, 'workspaceRoot' | 'stateDir' | 'envName' | 'project'>): string {
  return site.dir ? resolve(at.workspaceRoot, site.dir) : resolve(at.stateDir, 'sites', at.envName, fileSafeName(at.project));
}

/** The provider of a site (the AWS SDK is loaded only for an s3 one). */
export async function openProvider(site: Site, at: SiteLocation): Promise<CdnProvider> {
  if (site.provider === 'fs') return new FsProvider(siteDir(site, at));
  const field = siteField(at.envName, at.project);
  const creds = s3Credentials(site, at.environ, `the CDN site ${field}`);
  at.redactor.add(creds.credentials?.secretAccessKey);
  const { S3Provider } = await import('./s3-provider.ts');
  const cf = site.invalidate?.cloudfront;
  return new S3Provider(site, creds, field, cf ? cloudfrontInvalidator(cf.distributionId, creds.credentials, at.log) : undefined);
}

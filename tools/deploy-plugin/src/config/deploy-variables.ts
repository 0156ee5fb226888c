import { siteOrigins, siteOf } from './cdn.ts';
import type { Environment } from './environments.ts';

/** `api-server` -> `API_SERVER`, `@demo/web` -> `DEMO_WEB`: a project name as part of a variable name. */
export function variableSuffix(project: string): string {
  return project
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * Pure: what a deploy knows about its environment, as variables `${...}` templates may use (a
 * service's env, a site's config.json): the environment's name, each service's URL, each site's
 * URL, and the origins the sites are loaded from (what an API allows for CORS).
 */
export function deployVariables(envName: string, env: Environment): Record<string, string> {
  const vars: Record<string, string> = { NX_DEPLOY_ENV: envName, NX_DEPLOY_CDN_ORIGINS: siteOrigins(env).join(',') };
  for (const [project, service] of Object.entries(env.services))
    vars[`NX_DEPLOY_SERVICE_URL_${variableSuffix(project)}`] = service.url.replace(/\/$/, '');
  for (const project of Object.keys(env.cdn)) vars[`NX_DEPLOY_CDN_URL_${variableSuffix(project)}`] = siteOf(env, envName, project).url;
  return vars;
}

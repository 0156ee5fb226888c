import { placementsOf } from './servers.ts';
import { UserError } from '../core/errors.ts';
import type { PlanContext } from './context.ts';
import type { Environment } from './environments.ts';

/** The URL a service answers on in an environment: the step's option first, then deploy.json. */
export function serviceUrl(ctx: PlanContext, explicit?: string): string {
  const url = explicit ?? ctx.env.services[ctx.project.name]?.url;
  if (!url) {
    throw new UserError(
      `${ctx.project.name}: no URL for ${ctx.envName}. Add environments.${ctx.envName}.services.${ctx.project.name}.url to deploy.json ` +
        `(or the baseUrl option of the step).`,
    );
  }
  return url.replace(/\/$/, '');
}

/** How a service is judged healthy: its healthPath answering 200, or, with none declared, GET / answering 2xx or 3xx. */
export interface HealthCheck {
  path: string;
  configured: boolean;
  /** `200` or `2xx or 3xx`, for messages. */
  expects: string;
  ok(status: number): boolean;
}

export function healthCheck(ctx: PlanContext): HealthCheck {
  return serviceHealthCheck(ctx.env, ctx.project.name);
}

export function serviceHealthCheck(env: Environment, project: string): HealthCheck {
  const path = env.services[project]?.healthPath;
  if (path) return { path, configured: true, expects: '200', ok: (s) => s === 200 };
  return { path: '/', configured: false, expects: '2xx or 3xx', ok: (s) => s >= 200 && s < 400 };
}

/** Appended to a failed health check that used the default: where to declare the real endpoint. */
export function healthPathHint(ctx: PlanContext, check: HealthCheck): string {
  return check.configured
    ? ''
    : ` No healthPath is declared, so GET / was checked: set environments.${ctx.envName}.services.${ctx.project.name}.healthPath in deploy.json to the service's health endpoint.`;
}

/** Where a service answers: on each of its servers (labelled), else at its URL. */
export function serviceEndpoints(ctx: PlanContext): { server?: string; url: string }[] {
  const service = ctx.env.services[ctx.project.name];
  const servers = service ? placementsOf(service, ctx.env.ssh) : [];
  return servers.length ? servers.map((p) => ({ server: p.target.label, url: p.url })) : [{ url: serviceUrl(ctx) }];
}

import { UserError } from '../core/errors.ts';
import type { PlanContext } from './context.ts';

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

export function healthPath(ctx: PlanContext): string {
  return ctx.env.services[ctx.project.name]?.healthPath ?? '/health';
}

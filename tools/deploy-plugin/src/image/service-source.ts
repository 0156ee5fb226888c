import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, relative } from 'node:path';
import { z } from 'zod';
import type { PlanContext } from '../config/context.ts';
import { UserError } from '../core/errors.ts';

export const sourceOption = z
  .enum(['project', 'output'])
  .optional()
  .describe(
    "Where the service's files come from: 'output' is the folder the project's Nx build target declares as its outputs (dist/apps/api), " +
      "'project' the project folder (package.json + dist). Default: 'output' when the build writes outside the project folder, else 'project'",
  );

export const filesOption = z
  .array(z.string().min(1))
  .optional()
  .describe(
    'Files and folders of the source folder copied beside its production node_modules (default: the whole build output; from the project: package.json, dist and migrations when present). They must stay inside it',
  );

/** Where a backend's image context or release folder is assembled from. */
export interface ServiceSource {
  kind: 'project' | 'output';
  /** Workspace-relative folder that `files` are relative to. */
  dir: string;
  files: string[];
}

const inside = (parent: string, child: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * The documented rule: a build that writes outside the project folder (Nx's `dist/apps/api`)
 * is the source, whole; otherwise the project folder (package.json + dist, the npm-workspace
 * layout). `files` may never leave the source folder: the image context is that folder.
 */
export function serviceSource(ctx: PlanContext, o: { source?: 'project' | 'output'; files?: string[] }, target: string): ServiceSource {
  const { root, output } = ctx.project;
  const kind = o.source ?? (output && !inside(root, output) ? 'output' : 'project');
  if (kind === 'output' && !output) {
    throw new UserError(
      `${target}: source 'output' needs the project's build target to declare its outputs, and ${ctx.project.name} has ${output === undefined ? 'no build target with outputs' : 'none'}. ` +
        `Declare "outputs" on its build target, or set the option source to 'project'.`,
    );
  }
  const dir = kind === 'output' ? output! : root;
  const files =
    o.files ??
    (kind === 'output' ? ['.'] : ['package.json', 'dist', ...(existsSync(join(ctx.workspaceRoot, root, 'migrations')) ? ['migrations'] : [])]);
  for (const [i, f] of files.entries()) {
    if (isAbsolute(f) || normalize(f).split(/[\\/]/)[0] === '..') {
      throw new UserError(
        `${target}: option files[${i}] '${f}' leaves ${dir}, the folder the service is assembled from. ` +
          (kind === 'project' && output ? `To ship the build output (${output}), set source to 'output' and drop files.` : 'List paths inside it.'),
      );
    }
  }
  return { kind, dir, files };
}

/** `dist/apps/api` or `packages/api/{package.json, dist}`, for logs and plans. */
export function describeFiles(source: ServiceSource): string {
  return source.files.length === 1 && source.files[0] === '.' ? source.dir : `${source.dir}/{${source.files.join(', ')}}`;
}

/** The argv that starts a built service: its built package.json's `main` (Nx's generatePackageJson), else dist/main.js of a project. */
export function defaultStartCommand(workspaceRoot: string, source: ServiceSource): string[] {
  if (source.kind === 'project') return ['node', 'dist/main.js'];
  try {
    const main = (JSON.parse(readFileSync(join(workspaceRoot, source.dir, 'package.json'), 'utf8')) as { main?: unknown }).main;
    if (typeof main === 'string' && main) return ['node', normalize(main)];
  } catch {
    // not built yet (a plan), or no package.json: Nx's esbuild and webpack name it main.js
  }
  return ['node', 'main.js'];
}

/** What a missing source file means, and the command that makes it. */
export function buildHint(ctx: PlanContext, source: ServiceSource): string {
  return source.kind === 'output'
    ? `the build output of ${ctx.project.name} (nx run ${ctx.project.name}:build) should hold it; build it, or set the option files`
    : `build the project first (nx run ${ctx.project.name}:build), or set the options source and files`;
}

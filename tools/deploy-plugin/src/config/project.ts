/** What a project is for deploying: inferred from its files, overridable by a tag or deploy.json. */
export const ROLES = ['backend', 'frontend', 'package', 'none'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What inference learned about one project from its files (cached by a hash of those files),
 * and what the steps' registry decides their targets from. Plain data: inference loads no step.
 */
export interface ProjectFacts {
  name: string;
  root: string;
  role: Role;
  /** `migrations/` (builtin tool) or `prisma/schema.prisma`. */
  migrations?: 'builtin' | 'prisma';
  /** argv that starts the service (backends). */
  start?: string[];
  /** How a package ships: npm (non-private package.json) or crate (Cargo.toml). */
  publish?: 'npm' | 'crate';
  /** Workspace dependencies by package name (packages publish in this order). */
  dependsOnPackages: string[];
  packageName?: string;
}

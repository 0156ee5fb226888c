/**
 * Names derived from a project name, which may be scoped (`@demo-ts/api`, the default in Nx's
 * TypeScript preset) and so hold characters that are not safe in a path or an image name.
 */

/** One path segment: `@demo-ts/api` -> `@demo-ts__api` (a scope never makes a folder). */
export function fileSafeName(project: string): string {
  return project.replace(/[\\/]/g, '__');
}

/**
 * An image or compose project name as registries and engines accept it (lowercase letters, digits,
 * separators between them): `@demo-ts/api` -> `demo-ts-api`, `My_App` -> `my_app`.
 */
export function nameSlug(project: string): string {
  return project
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
}

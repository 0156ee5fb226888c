/** What a runtime implies for a service's deploy. */
export interface RuntimeKind {
  /** It runs a pushed image: build-image is part of the deploy, the image can be scanned. */
  readonly needsImage: boolean;
  /** Its versions can run side by side behind the service's proxy (Kubernetes switches with its own Service). */
  readonly behindProxy: boolean;
}

/**
 * The runtimes a service can run on, zod-free: deploy.json's schema, the runtimes, the step
 * registry and inference (which every Nx command runs, and which loads no zod) read this one table.
 */
export const RUNTIME_KINDS = {
  process: { needsImage: false, behindProxy: true },
  container: { needsImage: true, behindProxy: true },
  compose: { needsImage: true, behindProxy: true },
  kubernetes: { needsImage: true, behindProxy: false },
} as const satisfies Record<string, RuntimeKind>;

export type RuntimeName = keyof typeof RUNTIME_KINDS;

export const RUNTIME_NAMES = Object.keys(RUNTIME_KINDS) as [RuntimeName, ...RuntimeName[]];

/** A runtime named in deploy.json; undefined for a name that is none (inference reads the file unvalidated). */
export function runtimeKind(name: string): RuntimeKind | undefined {
  return Object.hasOwn(RUNTIME_KINDS, name) ? RUNTIME_KINDS[name as RuntimeName] : undefined;
}

/** The runtime of a service in an environment: its own, else the environment's, else process. */
export function runtimeIn(
  env: { runtime?: string; services?: Record<string, { runtime?: string } | undefined> } | undefined,
  project: string,
): string {
  return env?.services?.[project]?.runtime ?? env?.runtime ?? 'process';
}

import type { Command } from '../core/run.ts';

/** Cargo's name for the environment variables of a registry: `my-reg` -> `MY_REG`. */
export function cargoRegistryEnvName(registry: string): string {
  return registry.toUpperCase().replace(/-/g, '_');
}

/**
 * `cargo publish` to a named registry; cargo uploads, then waits until the index shows the new
 * version. The index URL and token reach cargo through its CARGO_REGISTRIES_<NAME>_* variables.
 */
export function cargoPublish(manifest: string, registry: string, opts: { allowDirty?: boolean } = {}): Command {
  return {
    argv: [
      'cargo',
      'publish',
      '--manifest-path',
      manifest,
      ...(registry === 'crates-io' ? [] : ['--registry', registry]),
      ...(opts.allowDirty ? ['--allow-dirty'] : []),
    ],
  };
}

/** Rewrites Cargo.lock for the workspace's own new versions without touching dependencies, offline. */
export function cargoUpdateWorkspace(manifest: string): Command {
  return { argv: ['cargo', 'update', '--workspace', '--offline', '--manifest-path', manifest] };
}

/** Path of a crate in a sparse index (cargo's layout: 1/, 2/, 3/a/, ab/cd/). */
export function sparseIndexPath(crate: string): string {
  const n = crate.toLowerCase();
  if (n.length <= 2) return `${n.length}/${n}`;
  if (n.length === 3) return `3/${n[0]}/${n}`;
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

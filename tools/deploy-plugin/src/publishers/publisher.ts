/** A package the release flow publishes: an npm package or a Rust crate. */
export interface ReleasePackage {
  kind: 'npm' | 'crate';
  /** The name on its registry (npm package name or crate name); tags are `<name>@<version>`. */
  name: string;
  version: string;
  /** The Nx project / workspace package it comes from. */
  project: string;
  dir: string;
  /** npm: the folder that is packed (the package folder, or a build output with its own package.json). */
  publishDir?: string;
  /** crate: its Cargo.toml. */
  manifest?: string;
  /** Names of other release packages it depends on: they must be visible first. */
  dependencies: string[];
  changelog?: string;
}

/** The shape every ecosystem implements, like Changesets' PublishTool. */
export interface Publisher {
  /** Is this exact version already on the registry? */
  isPublished(pkg: ReleasePackage): Promise<boolean>;
  /** Optionally builds the artifacts of many packages at once, ahead of `pack`. */
  prepare?(pkgs: ReleasePackage[]): Promise<void>;
  /** Builds the artifact that will be published (npm tarball, verified crate). */
  pack(pkg: ReleasePackage): Promise<string>;
  /** Publishes the packed artifact; succeeding when the registry already has this very artifact. */
  publish(pkg: ReleasePackage, artifact: string): Promise<void>;
  /** Returns once dependents can install it. */
  waitUntilVisible(pkg: ReleasePackage, timeoutMs?: number): Promise<void>;
  /** Removes what packing left on disk; called once the publisher is done, whatever happened. */
  dispose?(): void;
}

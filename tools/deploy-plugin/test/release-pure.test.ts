import { describe, expect, it } from 'vitest';
import { dependencyNames, readPackageField, setDependencyRequirement, setPackageVersion } from '../src/publishers/cargo-toml.ts';
import { changelogSection } from '../src/release/changelog.ts';
import { distTagFor } from '../src/publishers/dist-tag.ts';
import { cargoPublish, cargoRegistryEnvName, sparseIndexPath } from '../src/commands/cargo.ts';
import { registryPublishOptions } from '../src/publishers/npm-registry-options.ts';

const app = `[package]
name = "pod-app"
version = "0.3.0" # app version

[dependencies]
pod-protocol-sdk = { version = "0.1.0", path = "../sdk-rust", registry = "local" }
serde = "1"

[dev-dependencies]
pod-protocol-sdk = "0.1"

[target.'cfg(unix)'.dependencies.pod-protocol-sdk]
version = "0.1.0"
path = "../sdk-rust"

[features]
version = "not a dependency"
`;

describe('Cargo.toml edits', () => {
  it('reads and sets the package version, keeping comments', () => {
    expect(readPackageField(app, 'name')).toBe('pod-app');
    const out = setPackageVersion(app, '0.4.0-next.0');
    expect(readPackageField(out, 'version')).toBe('0.4.0-next.0');
    expect(out).toContain('version = "0.4.0-next.0" # app version');
    expect(out).toContain('version = "not a dependency"');
  });

  it('moves every requirement on a crate, in every dependency table form', () => {
    const out = setDependencyRequirement(app, 'pod-protocol-sdk', '0.2.0');
    expect(out).toContain('pod-protocol-sdk = { version = "0.2.0", path = "../sdk-rust", registry = "local" }');
    expect(out).toContain('[dev-dependencies]\npod-protocol-sdk = "0.2.0"');
    expect(out).toContain(`[target.'cfg(unix)'.dependencies.pod-protocol-sdk]\nversion = "0.2.0"`);
    expect(out).toContain('serde = "1"');
    expect(readPackageField(out, 'version')).toBe('0.3.0');
  });

  it('lists dependency names', () => {
    expect(dependencyNames(app).sort()).toEqual(['pod-protocol-sdk', 'serde']);
  });

  it('reads TOML as TOML: quoted keys, literal strings, comments that look like keys', () => {
    const tricky = `# version = "9.9.9" is only a comment
[package]
"name" = 'pod-tricky'
version = '0.1.0'   # literal string

[dependencies."pod-protocol-sdk"]
version = "0.1.0"
`;
    expect(readPackageField(tricky, 'name')).toBe('pod-tricky');
    const out = setDependencyRequirement(setPackageVersion(tricky, '0.2.0'), 'pod-protocol-sdk', '0.2.0');
    expect(out).toBe(tricky.replace(`version = '0.1.0'`, 'version = "0.2.0"').replace('version = "0.1.0"', 'version = "0.2.0"'));
    expect(dependencyNames(tricky)).toEqual(['pod-protocol-sdk']);
  });

  it('names the manifest that is not TOML', () => {
    expect(() => readPackageField('[package\nname = "x"', 'name', 'packages/sdk-rust/Cargo.toml')).toThrow(
      /^packages\/sdk-rust\/Cargo\.toml is not valid TOML: .*; fix it, then run again$/,
    );
  });
});

describe('dist-tags', () => {
  it('never moves the environment tag with a prerelease', () => {
    expect(distTagFor('1.2.0', 'latest')).toBe('latest');
    expect(distTagFor('1.3.0-next.0', 'latest', 'next')).toBe('next');
    expect(distTagFor('0.0.0-staging-20261126041500', 'latest')).toBe('staging');
    expect(distTagFor('1.0.0-0', 'latest')).toBe('prerelease');
  });
});

describe('changelog sections', () => {
  const md = '# @pod-protocol/sdk\n\n## 0.2.0\n\n### Minor Changes\n\n- abc1234: Add listAgents\n\n## 0.1.0\n\n- first\n';
  it('takes one version, up to the next one', () => {
    expect(changelogSection(md, '0.2.0')).toBe('### Minor Changes\n\n- abc1234: Add listAgents');
    expect(changelogSection(md, '0.1.0')).toBe('- first');
    expect(changelogSection(md, '9.9.9')).toBeUndefined();
  });
});

describe('publish command builders', () => {
  it('npm publishes in process with the registry, the dist-tag and the token under its registry key, retrying nothing itself', () => {
    expect(registryPublishOptions({ registry: 'http://127.0.0.1:4873/', tag: 'next', token: 's3cret', provenance: true })).toEqual({
      registry: 'http://127.0.0.1:4873/',
      defaultTag: 'next',
      access: 'public',
      '//127.0.0.1:4873/:_authToken': 's3cret',
      retry: { retries: 0 },
      provenance: true,
    });
    expect(registryPublishOptions({ registry: 'https://npm.example.com/registry', tag: 'latest', provenance: false })).toEqual({
      registry: 'https://npm.example.com/registry',
      defaultTag: 'latest',
      access: 'public',
      retry: { retries: 0 },
      provenance: false,
    });
    expect(registryPublishOptions({ registry: 'https://npm.example.com/registry/', tag: 'latest', token: 'T', provenance: false })).toHaveProperty(
      ['//npm.example.com/registry/:_authToken'],
      'T',
    );
  });

  it('cargo publishes to a named registry; crates-io needs no flag', () => {
    expect(cargoPublish('/c/Cargo.toml', 'local').argv).toEqual(['cargo', 'publish', '--manifest-path', '/c/Cargo.toml', '--registry', 'local']);
    expect(cargoPublish('/c/Cargo.toml', 'crates-io', { allowDirty: true }).argv).toEqual([
      'cargo',
      'publish',
      '--manifest-path',
      '/c/Cargo.toml',
      '--allow-dirty',
    ]);
    expect(cargoRegistryEnvName('pod-local')).toBe('POD_LOCAL');
  });

  it('finds a crate in the sparse index layout', () => {
    expect(['a', 'ab', 'abc', 'pod-protocol-sdk', 'Serde'].map(sparseIndexPath)).toEqual([
      '1/a',
      '2/ab',
      '3/a/abc',
      'po/d-/pod-protocol-sdk',
      'se/rd/serde',
    ]);
  });
});

import type { Command } from '../core/run.ts';

/** The variable through which a key reaches cosign (`--key env://…`): never argv, never a file on disk. */
const KEY_VARIABLE = 'NX_DEPLOY_COSIGN_KEY';

/** How cosign and syft reach the registry: a Docker-format credentials folder, and whether it speaks plain HTTP. */
export interface RegistryAccess {
  dockerConfig?: string;
  http: boolean;
}

// No transparency log: nothing here may reach Rekor, and a key pair needs none (the key is the trust).
const offline = ['--tlog-upload=false'];
const httpFlags = (a: RegistryAccess) => (a.http ? ['--allow-http-registry', '--allow-insecure-registry'] : []);
const accessEnv = (a: RegistryAccess) => (a.dockerConfig ? { DOCKER_CONFIG: a.dockerConfig } : {});

export interface PrivateKey {
  pem: string;
  password: string;
}

/** Signs `ref` (by digest) with the commit in the signed payload (`optional.commit`). */
export function cosignSign(ref: string, commit: string, key: PrivateKey, access: RegistryAccess): Command {
  return {
    argv: ['cosign', 'sign', '--yes', '--key', `env://${KEY_VARIABLE}`, ...offline, '-a', `commit=${commit}`, ...httpFlags(access), ref],
    env: { [KEY_VARIABLE]: key.pem, COSIGN_PASSWORD: key.password, ...accessEnv(access) },
    timeoutMs: 120_000,
  };
}

/** Attaches `predicate` (an SPDX JSON SBOM) to `ref` as an in-toto attestation signed with the same key. */
export function cosignAttest(ref: string, predicate: string, key: PrivateKey, access: RegistryAccess): Command {
  return {
    argv: [
      'cosign',
      'attest',
      '--yes',
      '--key',
      `env://${KEY_VARIABLE}`,
      ...offline,
      '--type',
      'spdxjson',
      '--predicate',
      predicate,
      ...httpFlags(access),
      ref,
    ],
    env: { [KEY_VARIABLE]: key.pem, COSIGN_PASSWORD: key.password, ...accessEnv(access) },
    timeoutMs: 120_000,
  };
}

/**
 * The key is the only trust anchor: `trustedRoot` names an empty Sigstore trusted root (without
 * one cosign fetches the public-good root over the internet first, although a key needs nothing of it).
 */
export const EMPTY_TRUSTED_ROOT = '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}\n';

/** The signatures of `ref` that verify with `publicKey`, as JSON payloads on stdout. */
export function cosignVerify(ref: string, publicKey: string, trustedRoot: string, access: RegistryAccess): Command {
  return {
    argv: [
      'cosign',
      'verify',
      '--key',
      `env://${KEY_VARIABLE}`,
      '--trusted-root',
      trustedRoot,
      '--insecure-ignore-tlog=true',
      '--output',
      'json',
      ...httpFlags(access),
      ref,
    ],
    env: { [KEY_VARIABLE]: publicKey, ...accessEnv(access) },
    timeoutMs: 60_000,
  };
}

/** Succeeds when `ref` carries an SPDX attestation signed with `publicKey`. */
export function cosignVerifySbom(ref: string, publicKey: string, trustedRoot: string, access: RegistryAccess): Command {
  return {
    argv: [
      'cosign',
      'verify-attestation',
      '--key',
      `env://${KEY_VARIABLE}`,
      '--trusted-root',
      trustedRoot,
      '--insecure-ignore-tlog=true',
      '--type',
      'spdxjson',
      '--output',
      'json',
      ...httpFlags(access),
      ref,
    ],
    env: { [KEY_VARIABLE]: publicKey, ...accessEnv(access) },
    timeoutMs: 60_000,
  };
}

/** syft's SBOM of the image as the registry serves it (so it describes exactly the signed digest). */
export function syftSbom(ref: string, out: string, access: RegistryAccess): Command {
  return {
    argv: ['syft', 'scan', `registry:${ref}`, '--output', `spdx-json=${out}`, '--quiet'],
    env: {
      ...accessEnv(access),
      // No update check: the deploy runs where only the registries answer.
      SYFT_CHECK_FOR_APP_UPDATE: 'false',
      ...(access.http ? { SYFT_REGISTRY_INSECURE_USE_HTTP: 'true' } : {}),
    },
    timeoutMs: 10 * 60_000,
  };
}

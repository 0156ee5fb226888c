import { describe, expect, it } from 'vitest';
import { cosignAttest, cosignSign, cosignVerify, cosignVerifySbom, syftSbom } from '../src/commands/cosign.ts';

const ref = `127.0.0.1:5000/app@sha256:${'a'.repeat(64)}`;
const key = { pem: '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----…', password: 'pw' };

describe('cosign and syft builders', () => {
  it('sign and attest: the key through a variable (never argv), no transparency log, the commit signed', () => {
    const sign = cosignSign(ref, 'abc', key, { dockerConfig: '/tmp/auth', http: false });
    expect(sign.argv).toEqual(['cosign', 'sign', '--yes', '--key', 'env://NX_DEPLOY_COSIGN_KEY', '--tlog-upload=false', '-a', 'commit=abc', ref]);
    expect(sign.env).toEqual({ NX_DEPLOY_COSIGN_KEY: key.pem, COSIGN_PASSWORD: 'pw', DOCKER_CONFIG: '/tmp/auth' });
    expect(sign.argv.join(' ')).not.toContain(key.pem);
    const attest = cosignAttest(ref, '/tmp/sbom.json', key, { http: true });
    expect(attest.argv).toEqual([
      'cosign',
      'attest',
      '--yes',
      '--key',
      'env://NX_DEPLOY_COSIGN_KEY',
      '--tlog-upload=false',
      '--type',
      'spdxjson',
      '--predicate',
      '/tmp/sbom.json',
      '--allow-http-registry',
      '--allow-insecure-registry',
      ref,
    ]);
    expect(attest.env).toEqual({ NX_DEPLOY_COSIGN_KEY: key.pem, COSIGN_PASSWORD: 'pw' });
  });

  it('verify: the public key, an empty trusted root (nothing fetched from Sigstore), JSON out', () => {
    expect(cosignVerify(ref, 'PUB', '/tmp/root.json', { http: false }).argv).toEqual([
      'cosign',
      'verify',
      '--key',
      'env://NX_DEPLOY_COSIGN_KEY',
      '--trusted-root',
      '/tmp/root.json',
      '--insecure-ignore-tlog=true',
      '--output',
      'json',
      ref,
    ]);
    const sbom = cosignVerifySbom(ref, 'PUB', '/tmp/root.json', { http: true, dockerConfig: '/d' });
    expect(sbom.argv.slice(0, 2)).toEqual(['cosign', 'verify-attestation']);
    expect(sbom.argv).toContain('spdxjson');
    expect(sbom.argv).toContain('--allow-http-registry');
    expect(sbom.env).toEqual({ NX_DEPLOY_COSIGN_KEY: 'PUB', DOCKER_CONFIG: '/d' });
  });

  it("syft scans the registry's copy of the digest, without its update check", () => {
    const cmd = syftSbom(ref, '/tmp/sbom.json', { http: true });
    expect(cmd.argv).toEqual(['syft', 'scan', `registry:${ref}`, '--output', 'spdx-json=/tmp/sbom.json', '--quiet']);
    expect(cmd.env).toEqual({ SYFT_CHECK_FOR_APP_UPDATE: 'false', SYFT_REGISTRY_INSECURE_USE_HTTP: 'true' });
  });
});

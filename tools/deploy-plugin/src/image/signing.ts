import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import {
  cosignAttest,
  cosignSign,
  cosignVerify,
  cosignVerifySbom,
  EMPTY_TRUSTED_ROOT,
  syftSbom,
  type PrivateKey,
  type RegistryAccess,
} from '../commands/cosign.ts';
import type { Environment } from '../config/environments.ts';
import { UserError } from '../core/errors.ts';
import { findExecutable } from '../core/executables.ts';
import type { RunContext } from '../config/context.ts';
import { judgeSignatures, lastLine, verifyFailure } from './promotion-evidence.ts';

export type Signing = NonNullable<NonNullable<Environment['containers']>['signing']>;

const INSTALL = {
  cosign: 'go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5',
  syft: 'go install github.com/anchore/syft/cmd/syft@v1.57.2',
};

/** The tools signing needs are on PATH, or a sentence naming the missing one and how to install it. */
export function requireSigningTools(signing: Signing, ctx: RunContext): void {
  const field = `environments.${ctx.envName}.containers.signing`;
  for (const tool of (signing.sbom ? ['cosign', 'syft'] : ['cosign']) as (keyof typeof INSTALL)[])
    if (!findExecutable([tool], ctx.environ))
      throw new UserError(`${tool} is not installed, and ${field} needs it (${INSTALL[tool]}, then put it on PATH); nothing was changed`);
}

/** The private key build-image signs with, from the variables deploy.json names; nothing built without it. */
export function privateKeyOf(signing: Signing, ctx: RunContext): PrivateKey {
  const field = `environments.${ctx.envName}.containers.signing`;
  if (!signing.privateKeyVariable)
    throw new UserError(
      `${ctx.project.name}: ${ctx.envName} builds images and ${field} names no privateKeyVariable, so they could not be signed; name the variable holding cosign.key (or remove signing)`,
    );
  const pem = ctx.environ[signing.privateKeyVariable];
  if (!pem?.includes('PRIVATE KEY'))
    throw new UserError(
      `${ctx.project.name}: ${signing.privateKeyVariable} (${field}.privateKeyVariable) ${pem ? 'does not hold a PEM private key' : 'is not set'}; set it to the content of the cosign.key that goes with ${field}.publicKey. Nothing was built.`,
    );
  const password = signing.passwordVariable ? ctx.environ[signing.passwordVariable] : '';
  if (password === undefined)
    throw new UserError(`${ctx.project.name}: ${signing.passwordVariable} (${field}.passwordVariable) is not set; nothing was built`);
  return { pem, password };
}

/** The public key's PEM: written in deploy.json, or read from the file it names (relative to the workspace root). */
export function publicKeyOf(signing: Signing, workspaceRoot: string, envName: string): string {
  const field = `environments.${envName}.containers.signing.publicKey`;
  if (signing.publicKey.includes('-----BEGIN')) {
    if (!signing.publicKey.includes('PUBLIC KEY'))
      throw new UserError(`${field} is a PEM block but not a public key; give cosign.pub, never cosign.key`);
    return signing.publicKey;
  }
  const file = isAbsolute(signing.publicKey) ? signing.publicKey : join(workspaceRoot, signing.publicKey);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new UserError(
      `${field} names ${signing.publicKey}, and there is no such file in the workspace; commit cosign.pub there or write its PEM text in the field`,
    );
  const pem = readFileSync(file, 'utf8');
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) throw new UserError(`${field}: ${signing.publicKey} does not hold a PEM public key (cosign.pub)`);
  return pem;
}

/** Signs the pushed digest with the commit in the payload, then attaches syft's SBOM of it as a signed attestation. */
export async function signImage(ref: string, signing: Signing, key: PrivateKey, access: RegistryAccess, ctx: RunContext): Promise<void> {
  await ctx.runner.run(cosignSign(ref, ctx.gitSha, key, access));
  if (!signing.sbom) {
    ctx.log.info(`signed ${ref} for commit ${ctx.gitSha.slice(0, 12)}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-sbom-'));
  try {
    const sbom = join(dir, 'sbom.spdx.json');
    await ctx.runner.run(syftSbom(ref, sbom, access), { quiet: true });
    const packages = (JSON.parse(readFileSync(sbom, 'utf8')) as { packages?: unknown[] }).packages?.length ?? 0;
    await ctx.runner.run(cosignAttest(ref, sbom, key, access));
    ctx.log.info(`signed ${ref} for commit ${ctx.gitSha.slice(0, 12)}; its SBOM (${packages} packages) is attached as a signed attestation`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Before a promotion changes anything: `ref` carries a signature by the key in deploy.json over
 * this very digest and commit, and (with `sbom`) a signed SBOM attestation. Else one sentence.
 */
export async function verifyImage(
  ref: string,
  digest: string,
  signing: Signing,
  access: RegistryAccess,
  ctx: RunContext,
  /** `self-check`: the build verifying what it just signed, so a key pair that does not match fails here, not at production. */
  purpose: 'promotion' | 'self-check' = 'promotion',
): Promise<void> {
  const field = `environments.${ctx.envName}.containers.signing`;
  const refuse = (why: string) =>
    new UserError(
      purpose === 'promotion'
        ? `${ctx.project.name}: refusing to promote ${ref} to ${ctx.envName}: ${why}. Nothing was changed.`
        : `${ctx.project.name}: the image just signed does not verify with ${field}.publicKey (${why}): is ${signing.privateKeyVariable} the private half of that public key? ` +
            `A promoting environment would refuse it. ${ref} is pushed, and nothing was rolled out.`,
    );
  const publicKey = publicKeyOf(signing, ctx.workspaceRoot, ctx.envName);
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-verify-'));
  try {
    const trustedRoot = join(dir, 'trusted_root.json');
    writeFileSync(trustedRoot, EMPTY_TRUSTED_ROOT);
    const verified = await ctx.runner.run(cosignVerify(ref, publicKey, trustedRoot, access), { quiet: true, allowFailure: true });
    if (verified.exitCode !== 0) throw refuse(verifyFailure(verified.stderr));
    const judged = judgeSignatures(verified.stdout, digest, ctx.gitSha);
    if ('problem' in judged) throw refuse(judged.problem);
    if (signing.sbom) {
      const sbom = await ctx.runner.run(cosignVerifySbom(ref, publicKey, trustedRoot, access), { quiet: true, allowFailure: true });
      if (sbom.exitCode !== 0) throw refuse(`it has no SBOM attestation signed with the key in deploy.json (${lastLine(sbom.stderr)})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  ctx.log.info(
    `verified ${ref}: signed for commit ${ctx.gitSha.slice(0, 12)} by the key in deploy.json${signing.sbom ? ', with a signed SBOM' : ''}`,
  );
}

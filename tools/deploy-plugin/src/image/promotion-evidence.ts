/**
 * Pure judgements of what a promotion is asked to trust: the image a record of the promoted-from
 * environment names, and the signatures cosign found on it. Each problem is one sentence.
 */

const BY_DIGEST = /^(.+)@(sha256:[0-9a-f]{64})$/;

/** The digest of `image` when it is `<expected>@sha256:…` (this environment's registry and repository), else why not. */
export function promotableDigest(image: string, expected: string): { digest: string } | { problem: string } {
  const m = BY_DIGEST.exec(image);
  if (!m) return { problem: `${image} is not an image reference by digest (${expected}@sha256:<64 hex digits>)` };
  if (m[1] !== expected) return { problem: `${image} is not in ${expected}, the registry and repository this environment deploys from` };
  return { digest: m[2]! };
}

interface SignedPayload {
  critical?: { image?: { 'docker-manifest-digest'?: string } };
  optional?: Record<string, unknown> | null;
}

/**
 * Given `cosign verify --output json` of a successful verification (every payload's signature
 * checked with the public key), whether one of them signs `digest` for `commit`.
 */
export function judgeSignatures(stdout: string, digest: string, commit: string): { ok: true } | { problem: string } {
  let payloads: SignedPayload[];
  try {
    payloads = JSON.parse(stdout) as SignedPayload[];
    if (!Array.isArray(payloads)) throw new Error('not an array');
  } catch {
    return { problem: `cosign verify answered something that is not its JSON list of signed payloads (${stdout.trim().slice(0, 120) || 'nothing'})` };
  }
  const forDigest = payloads.filter((p) => p.critical?.image?.['docker-manifest-digest'] === digest);
  if (forDigest.some((p) => p.optional?.commit === commit)) return { ok: true };
  const commits = [...new Set(forDigest.map((p) => p.optional?.commit).filter((c): c is string => typeof c === 'string'))];
  if (commits.length) return { problem: `its signature is for commit ${commits.map((c) => c.slice(0, 12)).join(', ')}, not ${commit.slice(0, 12)}` };
  return { problem: `no signature over it names a commit (signed by something other than build-image)` };
}

/** Why `cosign verify` failed, from its error output. */
export function verifyFailure(stderr: string): string {
  if (/no signatures found/.test(stderr)) return 'it is not signed';
  if (/no matching signatures|invalid signature|verification error/i.test(stderr))
    return 'no signature on it verifies with the public key in deploy.json';
  return `cosign could not verify it (${lastLine(stderr)})`;
}

export function lastLine(output: string): string {
  return output.trim().split('\n').filter(Boolean).at(-1) ?? 'no output';
}

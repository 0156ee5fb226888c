import { describe, expect, it } from 'vitest';
import { judgeSignatures, promotableDigest, verifyFailure } from '../src/image/promotion-evidence.ts';

const digest = `sha256:${'a'.repeat(64)}`;
const commit = 'c0ffee'.padEnd(40, '0');
const payload = (d: string, optional: Record<string, unknown> | null) => ({
  critical: { identity: { 'docker-reference': 'r/app' }, image: { 'docker-manifest-digest': d }, type: 'cosign container image signature' },
  optional,
});

describe('promotableDigest', () => {
  it('takes a digest in the expected registry and repository', () => {
    expect(promotableDigest(`127.0.0.1:5000/app@${digest}`, '127.0.0.1:5000/app')).toEqual({ digest });
  });

  it.each([
    [`127.0.0.1:5000/evil@${digest}`, 'is not in 127.0.0.1:5000/app'],
    [`evil.example/app@${digest}`, 'is not in 127.0.0.1:5000/app'],
    [`127.0.0.1:5000/app/x@${digest}`, 'is not in'],
    ['127.0.0.1:5000/app:latest', 'not an image reference by digest'],
    [`127.0.0.1:5000/app@sha256:${'a'.repeat(63)}`, 'not an image reference by digest'],
    [`127.0.0.1:5000/app@${digest}\n`, 'not an image reference by digest'],
  ])('refuses %s', (image, why) => {
    const r = promotableDigest(image, '127.0.0.1:5000/app');
    expect('problem' in r && r.problem).toContain(why);
  });
});

describe('judgeSignatures', () => {
  it('accepts a signature over this digest for this commit', () => {
    expect(judgeSignatures(JSON.stringify([payload(digest, { commit: 'other' }), payload(digest, { commit })]), digest, commit)).toEqual({
      ok: true,
    });
  });

  it('names the commit a signature was made for when it is another', () => {
    const r = judgeSignatures(JSON.stringify([payload(digest, { commit: 'b'.repeat(40) })]), digest, commit);
    expect(r).toEqual({ problem: `its signature is for commit ${'b'.repeat(12)}, not ${commit.slice(0, 12)}` });
  });

  it('does not take a payload of another digest, nor one without a commit', () => {
    expect(judgeSignatures(JSON.stringify([payload(`sha256:${'b'.repeat(64)}`, { commit })]), digest, commit)).toHaveProperty('problem');
    expect(judgeSignatures(JSON.stringify([payload(digest, null)]), digest, commit)).toEqual({
      problem: 'no signature over it names a commit (signed by something other than build-image)',
    });
  });

  it('says so when the output is not the JSON list', () => {
    expect(judgeSignatures('Verification for …', digest, commit)).toHaveProperty('problem', expect.stringContaining('not its JSON list'));
    expect(judgeSignatures('{}', digest, commit)).toHaveProperty('problem');
  });
});

describe('verifyFailure', () => {
  it('tells an unsigned image from a signature by another key', () => {
    expect(verifyFailure('WARNING: …\nError: no signatures found\nerror during command execution: no signatures found')).toBe('it is not signed');
    expect(verifyFailure('Error: no matching signatures: invalid signature when validating ASN.1 encoded signature')).toBe(
      'no signature on it verifies with the public key in deploy.json',
    );
    expect(verifyFailure('Error: GET http://127.0.0.1:1/v2/: connection refused\n')).toBe(
      'cosign could not verify it (Error: GET http://127.0.0.1:1/v2/: connection refused)',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { deployFileSchema } from '../src/config/environments.ts';
import { sharedStateProblem } from '../src/store/isolation.ts';

// Production must not trust records that whatever runs in a staging job could write.
describe('state isolation between environments with and without approval', () => {
  const s3 = (over: Record<string, unknown> = {}) => ({
    backend: 's3',
    bucket: 'deploy-state',
    accessKeyIdVariable: 'STATE_KEY_ID',
    secretAccessKeyVariable: 'STATE_SECRET',
    ...over,
  });
  const file = (staging: unknown, production: unknown, top?: unknown) =>
    deployFileSchema.parse({
      ...(top ? { state: top } : {}),
      environments: {
        development: {},
        staging: { runtime: 'container', ...(staging ? { state: staging } : {}) },
        production: { runtime: 'container', approval: { required: true }, ...(production ? { state: production } : {}) },
      },
    });

  it('refuses one bucket, prefix and key for staging and production, from either side, saying how to split', () => {
    for (const f of [file(s3(), s3()), file(undefined, undefined, s3()), file(s3({ prefix: 'x' }), s3({ prefix: '/x/' }))]) {
      const problem = sharedStateProblem(f, 'staging');
      expect(problem).toContain(
        'environments.production (approval required) and environments.staging keep their state in the same store, s3://deploy-state/',
      );
      expect(problem).toContain('with the same credentials (STATE_KEY_ID / STATE_SECRET)');
      expect(problem).toContain('environments.production.readState.staging');
      // From production's side the first environment without approval sharing it is named (development, where the top-level state is shared).
      expect(sharedStateProblem(f, 'production')).toMatch(
        /^environments\.production \(approval required\) and environments\.(development|staging) keep their state in the same store/,
      );
    }
  });

  it('allows another prefix, another bucket, other credentials, the file store, and says nothing of environments it does not concern', () => {
    expect(sharedStateProblem(file(s3({ prefix: 'staging/' }), s3({ prefix: 'production/' })), 'production')).toBeUndefined();
    expect(sharedStateProblem(file(s3(), s3({ bucket: 'prod-state' })), 'production')).toBeUndefined();
    expect(
      sharedStateProblem(file(s3(), s3({ accessKeyIdVariable: 'PROD_KEY', secretAccessKeyVariable: 'PROD_SECRET' })), 'production'),
    ).toBeUndefined();
    expect(sharedStateProblem(file(undefined, undefined), 'production')).toBeUndefined();
    expect(sharedStateProblem(file(s3(), s3({ endpoint: 'http://127.0.0.1:9000' })), 'staging')).toBeUndefined();
  });

  it("counts the SDK's default chain as the same credentials when neither names variables", () => {
    const bare = { backend: 's3', bucket: 'deploy-state' };
    expect(sharedStateProblem(file(bare, bare), 'production')).toContain("with the same credentials (the AWS SDK's default credentials)");
  });
});

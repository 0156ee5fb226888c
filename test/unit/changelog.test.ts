import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM module of the repo's Changesets config, without types
import changelog from '../../.changeset/changelog.mjs';

const opts = { repo: 'pod-protocol/pod-protocol' };

describe('changelog generator', () => {
  it('links the commit and keeps the summary', async () => {
    const line = await changelog.getReleaseLine(
      { summary: 'Add listAgents\nwith paging', commit: 'deadbeefcafe0000000000000000000000000000' },
      'minor',
      opts,
    );
    expect(line).toBe(
      '- [`deadbee`](https://github.com/pod-protocol/pod-protocol/commit/deadbeefcafe0000000000000000000000000000) Add listAgents\n  with paging',
    );
  });

  it('works without a commit (uncommitted changeset)', async () => {
    expect(await changelog.getReleaseLine({ summary: 'Fix', commit: undefined }, 'patch', opts)).toBe('- Fix');
  });

  it('lists updated dependencies', async () => {
    const line = await changelog.getDependencyReleaseLine([{ commit: 'abcdef0123' }], [{ name: '@pod-protocol/sdk', newVersion: '0.2.0' }], opts);
    expect(line).toBe(
      '- Updated dependencies [`abcdef0`](https://github.com/pod-protocol/pod-protocol/commit/abcdef0123)\n  - @pod-protocol/sdk@0.2.0',
    );
  });

  it('says what is missing in the config', async () => {
    await expect(changelog.getReleaseLine({ summary: 'x' }, 'patch', undefined)).rejects.toThrow('needs {"repo": "owner/name"}');
  });
});

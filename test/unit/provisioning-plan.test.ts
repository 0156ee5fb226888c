import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM module of the provisioning script, without types
import { installWaves, planProvisioning } from '../../scripts/provision/plan.mjs';
// @ts-expect-error: a plain ESM module of the provisioning script, without types
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';
// @ts-expect-error: a plain ESM module of the provisioning script, without types
import { tools } from '../../scripts/provision/tools.mjs';

type Tool = { name: string };
const sudoCommand = 'sudo /usr/local/bin/node /repo/scripts/provision.mjs';
/** The real tool list, with the named tools missing and every other one present. */
const machine = (...missing: string[]) => {
  for (const name of missing) if (!tools.some((t: Tool) => t.name === name)) throw new Error(`no tool named ${name} in tools.mjs`);
  return tools.map((t: Tool) => ({ ...t, present: !missing.includes(t.name) }));
};
const plan = (missing: string[], who: { isRoot: boolean; sudoForUser?: boolean }) => {
  const p = planProvisioning(machine(...missing), { ...who, sudoCommand });
  return { install: p.install.map((t: Tool) => t.name), message: p.message };
};

describe('provisioning plan', () => {
  it('installs what needs root first, one after another, then builds every tool of the tools folder at once', () => {
    const { install } = planProvisioning(machine('cargo-http-registry', 'PostgreSQL 15', 'versitygw', 'cosign and syft', 'HAProxy'), {
      isRoot: true,
      sudoCommand,
    });
    const waves = installWaves(install);
    expect({ sequential: waves.sequential.map((t: Tool) => t.name), parallel: waves.parallel.map((t: Tool) => t.name) }).toEqual({
      sequential: ['PostgreSQL 15', 'HAProxy'],
      parallel: ['cargo-http-registry', 'versitygw', 'cosign and syft'],
    });
  });

  it('does nothing when every tool is there', () => {
    expect(plan([], { isRoot: false })).toEqual({ install: [], message: null });
  });

  it('installs what is missing as root, in the order of the list', () => {
    expect(plan(['docker-compose', 'PostgreSQL 15', 'cargo-http-registry'], { isRoot: true })).toEqual({
      install: ['PostgreSQL 15', 'docker-compose', 'cargo-http-registry'],
      message: null,
    });
  });

  it('without root, installs nothing and names what is missing and the command to run', () => {
    const p = plan(['kubectl', 'cargo-http-registry'], { isRoot: false });
    expect(p.install).toEqual([]);
    expect(p.message).toBe(
      [
        'npm test needs tools that this machine does not have:',
        '  kubectl (apt: kubernetes-client): installing needs root; run',
        `      ${sudoCommand}`,
        '  cargo-http-registry (scripts/ci/crate-registry.sh): npm test installs it once the above is done',
        'Then run npm test again.',
      ].join('\n'),
    );
  });

  it('without root, builds a tool that needs no root', () => {
    expect(plan(['cargo-http-registry'], { isRoot: false })).toEqual({ install: ['cargo-http-registry'], message: null });
  });

  it('checks build dependencies only while the tool they build is missing', () => {
    expect(plan(['C build tools'], { isRoot: false })).toEqual({ install: [], message: null });
    expect(plan(['C build tools', 'cargo-http-registry'], { isRoot: true }).install).toEqual(['C build tools', 'cargo-http-registry']);
    // Either tool they build being missing is enough.
    expect(plan(['C build tools', 'Kubernetes'], { isRoot: true }).install).toEqual(['C build tools', 'Kubernetes']);
  });

  it('a fresh machine: the Kubernetes build runs beside the other builds, after containerd from apt', () => {
    const { install } = planProvisioning(machine('containerd and CNI plugins', 'Kubernetes', 'Gitea', 'C build tools'), {
      isRoot: true,
      sudoCommand,
    });
    const waves = installWaves(install);
    expect(waves.sequential.map((t: Tool) => t.name)).toEqual(['containerd and CNI plugins', 'C build tools']);
    expect(waves.parallel.map((t: Tool) => t.name)).toEqual(['Gitea', 'Kubernetes']);
  });

  it('says what to do about a tool it cannot install, even as root, and installs nothing', () => {
    const p = plan(['cargo', 'kubectl'], { isRoot: true });
    expect(p.install).toEqual([]);
    expect(p.message).toContain('  cargo: install Rust with rustup (https://rustup.rs)');
    expect(p.message).toContain('  kubectl (apt: kubernetes-client): npm test installs it once the above is done');
  });

  it('as root through sudo, installs only what needs root and leaves the rest to the user', () => {
    expect(plan(['kubectl', 'cargo', 'cargo-http-registry', 'C build tools'], { isRoot: true, sudoForUser: true })).toEqual({
      install: ['kubectl', 'C build tools'],
      message: null,
    });
  });
});

describe('test tools folder', () => {
  it('is POD_TEST_TOOLS when set', () => {
    expect(testToolsDir({ POD_TEST_TOOLS: '/srv/tools' })).toBe('/srv/tools');
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { buildImage, copyImage, pushImage, type Engine } from '../commands/image.ts';
import { UserError } from '../core/errors.ts';
import { interpolateRecord, referencedVariables } from '../core/interpolate.ts';
import { secretVariables } from '../config/environments.ts';
import { variableName } from '../config/fields.ts';
import { CommandFailed } from '../core/run.ts';
import { registryLogin } from '../image/auth.ts';
import { prepareContext } from '../image/context.ts';
import { fileSafeName, nameSlug } from '../core/names.ts';
import { buildHint, describeFiles, filesOption, serviceSource, sourceOption } from '../image/service-source.ts';
import { registryDigest, registryScheme, resolveEngine } from '../image/engine.ts';
import { lastGood } from '../store/state-store.ts';
import { cosignAttest, cosignSign, cosignVerify, syftSbom } from '../commands/cosign.ts';
import { promotableDigest } from '../image/promotion-evidence.ts';
import { privateKeyOf, requireSigningTools, signImage, verifyImage, type Signing } from '../image/signing.ts';
import type { PlannedAction } from '../core/plan.ts';
import type { PlanContext } from '../config/context.ts';
import type { StepContext, StepDefinition, StepResult } from '../step-kit/step.ts';

const options = z.strictObject({
  environment: z.string().optional(),
  engine: z.enum(['docker', 'podman', 'buildah']).optional().describe("Overrides the environment's containers.engine"),
  file: z.string().optional().describe('Dockerfile.prod, Dockerfile or Containerfile of the project when unset'),
  repository: z
    .string()
    .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, { error: 'lowercase letters, digits and . _ / -' })
    .optional()
    .describe('Image name in the registry (default: the project name as a slug, @demo-ts/api -> demo-ts-api)'),
  source: sourceOption,
  files: filesOption,
  buildArgs: z.record(z.string(), z.string()).default({}).describe('Build arguments; values may use ${VAR} or ${VAR:-default}'),
  secrets: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'a secret id: letters, digits, _ . -' }), variableName)
    .default({})
    .describe(
      'Build secrets: id -> the variable holding it. The Containerfile reads one with RUN --mount=type=secret,id=<id> (at /run/secrets/<id>); it is in no layer, no image history, no argv',
    ),
  timeoutMs: z
    .int()
    .positive()
    .default(20 * 60_000),
});
type Options = z.infer<typeof options>;

const CONTAINER_FILES = ['Dockerfile.prod', 'Dockerfile', 'Containerfile'];

function containerFile(o: Options, ctx: PlanContext): string {
  const dir = join(ctx.workspaceRoot, ctx.project.root);
  const file = o.file ?? CONTAINER_FILES.find((f) => existsSync(join(dir, f)));
  if (!file) throw new UserError(`${ctx.project.name}: no ${CONTAINER_FILES.join(', ')} in ${ctx.project.root}`);
  return join(dir, file);
}

function target(o: Options, ctx: PlanContext) {
  const c = ctx.env.containers;
  if (!c) throw new UserError(`${ctx.project.name}: images need environments.${ctx.envName}.containers.registry in deploy.json`);
  const repository = o.repository ?? nameSlug(ctx.project.name);
  return { c, repository, image: `${c.registry}/${repository}`, insecure: registryScheme(c.registry, c.insecure) === 'http' };
}

/** Tags of one build: the version, the commit, the environment. */
function tagsOf(ctx: PlanContext & { gitSha?: string }): string[] {
  return [ctx.project.version, `sha-${ctx.gitSha ? ctx.gitSha.slice(0, 12) : '<commit>'}`, ctx.envName];
}

function labelsOf(ctx: StepContext): Record<string, string> {
  let source = '';
  try {
    const repo = JSON.parse(readFileSync(join(ctx.workspaceRoot, ctx.project.root, 'package.json'), 'utf8')).repository;
    source = String(typeof repo === 'string' ? repo : (repo?.url ?? ''))
      .replace(/^git\+/, '')
      .replace(/\.git$/, '');
  } catch {
    // no manifest: no source label
  }
  return {
    'org.opencontainers.image.title': ctx.project.name,
    'org.opencontainers.image.version': ctx.project.version,
    'org.opencontainers.image.revision': ctx.gitSha,
    ...(source ? { 'org.opencontainers.image.source': source } : {}),
  };
}

/** The image that passed `from` for this very commit, from that environment's ledger. */
async function passedImage(ctx: StepContext, from: string): Promise<string> {
  const record = await lastGood(await ctx.ledgerOf(from), from, ctx.project.name, (r) => r.gitSha === ctx.gitSha && Boolean(r.image));
  if (!record) {
    throw new UserError(
      `${ctx.project.name}: ${ctx.envName} promotes the image that passed ${from}, and no successful ${from} deploy of commit ${ctx.gitSha.slice(0, 12)} is recorded. Deploy it to ${from} first.`,
    );
  }
  return record.image!;
}

/** What preflight verified, by deploy: the run copies exactly that digest. */
const verified = new Map<string, string>();

/**
 * The image to promote, checked before anything changes: the record of `promoteFrom` names a
 * digest in this environment's registry and repository and, with signing, cosign verifies a
 * signature by deploy.json's key over that digest and this commit (and the signed SBOM).
 */
async function verifiedPromotion(o: Options, ctx: StepContext): Promise<string> {
  const known = verified.get(ctx.deployId);
  if (known) return known;
  const { c, image, insecure } = target(o, ctx);
  const passed = await passedImage(ctx, c.promoteFrom!);
  const evidence = promotableDigest(passed, image);
  if ('problem' in evidence)
    throw new UserError(
      `${ctx.project.name}: refusing to promote to ${ctx.envName} the image ${c.promoteFrom}'s record names: ${evidence.problem}. Nothing was changed.`,
    );
  if (c.signing) {
    requireSigningTools(c.signing, ctx);
    const engine = await resolveEngine(ctx.runner, o.engine ?? c.engine, false);
    const auth = await registryLogin(engine, ctx.env, ctx.environ, ctx.runner);
    try {
      await verifyImage(passed, evidence.digest, c.signing, { dockerConfig: auth.dockerConfig, http: insecure }, ctx);
    } finally {
      auth.done();
    }
  }
  verified.set(ctx.deployId, passed);
  return passed;
}

async function push(
  engine: Engine,
  ref: string,
  o: { insecure: boolean; authFile?: string; dockerConfig?: string },
  ctx: StepContext,
  registry: string,
): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-digest-'));
  try {
    const res = await ctx.runner.run({ ...pushImage(engine, ref, { digestFile: join(dir, 'digest'), ...o }), timeoutMs: 10 * 60_000 });
    return existsSync(join(dir, 'digest')) ? readFileSync(join(dir, 'digest'), 'utf8').trim() : /digest: (sha256:[0-9a-f]{64})/.exec(res.stdout)?.[1];
  } catch (err) {
    if (err instanceof CommandFailed)
      throw new UserError(`${ctx.project.name}: pushing to the container registry ${registry} failed; nothing was rolled out. ${err.message}`);
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const buildImageStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    const { c, image } = target(o, ctx);
    const tags = tagsOf(ctx).map((t) => `${image}:${t}`);
    const http = registryScheme(c.registry, c.insecure) === 'http';
    if (c.promoteFrom)
      return [
        { title: `check that the image ${c.promoteFrom} recorded for this commit is ${image}@sha256:…` },
        ...(c.signing
          ? [
              {
                title: `verify its signature by signing.publicKey covers that digest and this commit${c.signing.sbom ? ', and its signed SBOM' : ''}`,
                command: cosignVerify(`${image}@<digest>`, '<public key>', '<empty trusted root>', { http }),
              },
            ]
          : []),
        {
          title: `promote the image that passed ${c.promoteFrom} for this commit, by digest (no build)`,
          command: copyImage(`${image}@<digest>`, tags[0]!, { insecure: false }),
        },
      ];
    const engine = (o.engine ?? c.engine ?? 'docker') as Engine;
    const buildArgs = buildArgsOf(o, ctx, true);
    return [
      { title: `context: ${describeFiles(serviceSource(ctx, o, `${ctx.project.name}:build-image`))} + production node_modules` },
      {
        title: `build${(o.engine ?? c.engine) ? '' : ' (engine detected at run time)'}`,
        command: buildImage(engine, {
          file: containerFile(o, ctx),
          context: '<context>',
          tags,
          buildArgs,
          labels: {},
          secrets: Object.fromEntries(Object.keys(o.secrets).map((id) => [id, `<private file of ${o.secrets[id]}>`])),
        }),
      },
      ...tags.map((t) => ({ title: `push ${t}`, command: pushImage(engine, t, { digestFile: '<digest file>' }) })),
      { title: 'check the registry serves the pushed digest' },
      ...(c.signing ? signingPlan(`${image}@<digest>`, c.signing, http) : []),
    ];
  },

  async preflight(o, ctx) {
    const { c } = target(o, ctx);
    if (c.promoteFrom) {
      await verifiedPromotion(o, ctx);
      return;
    }
    requireBuildSecrets(o, ctx);
    if (c.signing) {
      requireSigningTools(c.signing, ctx);
      privateKeyOf(c.signing, ctx);
    }
  },

  async run(o, ctx): Promise<StepResult> {
    const { c, repository, image, insecure } = target(o, ctx);
    const tags = tagsOf(ctx);
    const engine = await resolveEngine(ctx.runner, o.engine ?? c.engine, false);
    const auth = await registryLogin(engine, ctx.env, ctx.environ, ctx.runner);
    try {
      let digest: string | undefined;
      if (c.promoteFrom) {
        const passed = await verifiedPromotion(o, ctx);
        ctx.log.info(`promoting ${passed} (passed ${c.promoteFrom}); not rebuilding`);
        for (const t of tags) await ctx.runner.run(copyImage(passed, `${image}:${t}`, { insecure, authFile: auth.authFile }));
        digest = passed.split('@')[1];
      } else {
        const source = serviceSource(ctx, o, `${ctx.project.name}:build-image`);
        const context = join(ctx.stateDir, 'images', ctx.envName, fileSafeName(ctx.project.name));
        const count = await prepareContext(
          ctx.workspaceRoot,
          join(ctx.workspaceRoot, source.dir),
          context,
          source.files,
          ctx.runner,
          buildHint(ctx, source),
        );
        ctx.log.info(`context ready: ${describeFiles(source)} and ${count} production packages`);
        const buildArgs = buildArgsOf(o, ctx);
        const secrets = buildSecrets(o, ctx);
        try {
          await ctx.runner.run({
            ...buildImage(engine, {
              file: containerFile(o, ctx),
              context,
              tags: tags.map((t) => `${image}:${t}`),
              buildArgs,
              labels: labelsOf(ctx),
              secrets: secrets.files,
            }),
            timeoutMs: o.timeoutMs,
          });
        } finally {
          secrets.remove();
        }
        for (const t of tags)
          digest =
            (await push(engine, `${image}:${t}`, { insecure, authFile: auth.authFile, dockerConfig: auth.dockerConfig }, ctx, c.registry)) ?? digest;
      }
      const served = await registryDigest(c.registry, repository, tags[0]!, { insecure, username: auth.username, password: auth.password });
      if (!served || (digest && served !== digest)) {
        throw new UserError(
          `${ctx.project.name}: the registry ${c.registry} serves ${served ?? 'nothing'} for ${image}:${tags[0]}, not the pushed ${digest}`,
        );
      }
      ctx.log.info(`image ${image}@${served}`);
      if (c.signing && !c.promoteFrom) {
        const access = { dockerConfig: auth.dockerConfig, http: insecure };
        await signImage(`${image}@${served}`, c.signing, privateKeyOf(c.signing, ctx), access, ctx);
        await verifyImage(`${image}@${served}`, served, c.signing, access, ctx, 'self-check');
      }
      return { artifact: `${image}@${served}`, image: `${image}@${served}`, detail: served };
    } finally {
      auth.done();
    }
  },
};

function signingPlan(ref: string, signing: Signing, http: boolean): PlannedAction[] {
  const key = { pem: '<private key>', password: '<password>' };
  return [
    { title: 'sign the pushed digest, the commit in the signed payload', command: cosignSign(ref, '<commit>', key, { http }) },
    ...(signing.sbom
      ? [
          { title: 'SBOM of the pushed image (SPDX JSON)', command: syftSbom(ref, '<sbom.json>', { http }) },
          { title: 'attach the SBOM as a signed attestation', command: cosignAttest(ref, '<sbom.json>', key, { http }) },
        ]
      : []),
    { title: 'verify both with signing.publicKey, as a promoting environment will (a key pair that does not match fails here)' },
  ];
}

function requireBuildSecrets(o: Options, ctx: StepContext): void {
  for (const [id, variable] of Object.entries(o.secrets))
    if (!ctx.environ[variable])
      throw new UserError(`${ctx.project.name}:build-image secrets.${id} is read from ${variable}, which is not set; set it (nothing was built)`);
}

/** Each build secret in a file of its own (0600, in a private folder) for the build to mount; `remove` deletes them. */
function buildSecrets(o: Options, ctx: StepContext): { files: Record<string, string>; remove(): void } {
  if (!Object.keys(o.secrets).length) return { files: {}, remove: () => undefined };
  requireBuildSecrets(o, ctx);
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-build-secrets-'));
  const files: Record<string, string> = {};
  for (const [id, variable] of Object.entries(o.secrets)) {
    const value = ctx.environ[variable]!;
    ctx.redactor.add(value); // whatever the build prints of it
    files[id] = join(dir, id);
    writeFileSync(files[id], value, { mode: 0o600 });
  }
  return { files, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The build arguments, filled in; a declared secret is refused: an argument stays in the image's history and in argv. */
function buildArgsOf(o: Options, ctx: PlanContext, lenient = false): Record<string, string> {
  const secrets = new Set(secretVariables(ctx.env));
  for (const [name, value] of Object.entries(o.buildArgs)) {
    const secret = referencedVariables(value).find((v) => secrets.has(v));
    if (secret)
      throw new UserError(
        `${ctx.project.name}:build-image buildArgs.${name} uses \${${secret}}, which environments.${ctx.envName} declares a secret: a build argument stays in the image's history (anyone who pulls it reads it) and in the build's argv. Pass it to the service at run time (its settings) instead.`,
      );
  }
  return interpolateRecord(o.buildArgs, ctx.environ, `${ctx.project.name} buildArgs`, lenient);
}

/**
 * The environment every program a deploy starts inherits: what makes tools work on this machine
 * (PATH, HOME, locale, temp folder, proxy settings, where podman, docker, kubectl, cargo, npm, git
 * and Nx keep their configuration), never the rest of the runner's environment. A CI job holds
 * the secrets of every environment it may deploy; only what a step passes explicitly (a service's
 * settings, a migration's database URL) reaches a child on top of this.
 */
const EXACT = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'TMPDIR',
  'TMP',
  'TEMP',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'NODE_OPTIONS',
  'SSH_AUTH_SOCK',
  'REGISTRY_AUTH_FILE',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CONTEXT',
  'DOCKER_BUILDKIT',
  'DOCKER_CERT_PATH',
  'DOCKER_TLS_VERIFY',
  'CONTAINER_HOST',
  'CONTAINER_CONNECTION',
  'KUBECONFIG',
  'CARGO_HOME',
  'RUSTUP_HOME',
  'RUSTUP_TOOLCHAIN',
  'CI',
  'GITHUB_ACTIONS',
  'FORCE_COLOR',
  'NO_COLOR',
  'COLUMNS',
]);

/** Families of tool settings; a member whose name says it holds a credential is still left out. */
const PREFIXES = ['LC_', 'XDG_', 'CONTAINERS_', 'BUILDAH_', 'NX_', 'npm_config_', 'GIT_', 'CARGO_'];
const CREDENTIAL_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|(^|_)AUTH($|_)|_KEY(_|$)/i;

/** Whether a variable of the runner's environment is passed to the programs a deploy starts. */
export function inherited(name: string): boolean {
  if (EXACT.has(name)) return true;
  return PREFIXES.some((p) => name.startsWith(p)) && !CREDENTIAL_NAME.test(name);
}

/** The runner's environment reduced to what children inherit, with the command's own variables on top. */
export function childEnvironment(extra: Record<string, string | undefined> = {}, environ: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(environ)) if (value !== undefined && inherited(name)) env[name] = value;
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

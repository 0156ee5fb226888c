/**
 * Pure: the options npm's own publishing library (libnpmpublish, over npm-registry-fetch) takes for
 * one publish: the registry, the dist-tag, public access, the token under its registry-scoped key
 * (as npm reads `//host/path/:_authToken` from an npmrc, here in memory only), and no retries of
 * its own: a publish whose answer was lost is recognised by asking the registry (its shasum).
 */
export function registryPublishOptions(o: { registry: string; tag: string; token?: string; provenance: boolean }): Record<string, unknown> {
  const u = new URL(o.registry);
  const scope = `//${u.host}${u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`}`;
  return {
    registry: o.registry,
    defaultTag: o.tag,
    access: 'public',
    ...(o.token ? { [`${scope}:_authToken`]: o.token } : {}),
    retry: { retries: 0 },
    provenance: o.provenance,
  };
}

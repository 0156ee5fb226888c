import { getStaticTOMLValue, parseTOML, type AST } from 'toml-eslint-parser';
import { UserError } from '../core/errors.ts';

/**
 * Cargo.toml read and edited through a TOML parser's syntax tree: a value is changed by replacing
 * exactly its text, so comments, spacing and the rest of the file stay as they were.
 */

const DEPENDENCY_TABLES = new Set(['dependencies', 'dev-dependencies', 'build-dependencies']);

/** `file` names the manifest in the error when it is not TOML. */
function parse(toml: string, file = 'Cargo.toml'): AST.TOMLProgram {
  try {
    return parseTOML(toml);
  } catch (err) {
    throw new UserError(`${file} is not valid TOML: ${(err as Error).message}; fix it, then run again`);
  }
}

/** Every string value in the file with its full key path: `[a.b]` then `c = { d = "x" }` is a.b.c.d. */
function stringValues(program: AST.TOMLProgram): Array<{ path: string[]; node: AST.TOMLStringValue }> {
  const out: Array<{ path: string[]; node: AST.TOMLStringValue }> = [];
  const keyNames = (key: AST.TOMLKey) => key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value));
  const visit = (prefix: string[], pairs: AST.TOMLKeyValue[]) => {
    for (const kv of pairs) {
      const path = [...prefix, ...keyNames(kv.key)];
      if (kv.value.type === 'TOMLValue' && kv.value.kind === 'string') out.push({ path, node: kv.value });
      else if (kv.value.type === 'TOMLInlineTable') visit(path, kv.value.body);
    }
  };
  for (const top of program.body)
    for (const item of top.body) {
      if (item.type === 'TOMLKeyValue') visit([], [item]);
      else if (item.kind === 'standard') visit(item.resolvedKey.map(String), item.body);
    }
  return out;
}

/** Where a path names a dependency on a crate: `[dependencies]` (or dev-, build-, under `target.<cfg>`) and the crate's name. */
function dependencyAt(path: string[]): { crate: string; rest: string[] } | undefined {
  const at = path[0] === 'target' ? 2 : 0;
  if (!DEPENDENCY_TABLES.has(path[at] ?? '') || path.length < at + 2) return undefined;
  return { crate: path[at + 1]!, rest: path.slice(at + 2) };
}

/** Replaces the text of each node (from the end, so earlier offsets stay right) with `version` as a TOML string. */
function replaceAll(toml: string, nodes: AST.TOMLStringValue[], version: string): string {
  let out = toml;
  for (const n of [...nodes].sort((a, b) => b.range[0] - a.range[0]))
    out = `${out.slice(0, n.range[0])}${JSON.stringify(version)}${out.slice(n.range[1])}`;
  return out;
}

export function readPackageField(toml: string, field: 'name' | 'version', file?: string): string | undefined {
  const value = (getStaticTOMLValue(parse(toml, file)) as { package?: Record<string, unknown> }).package?.[field];
  return typeof value === 'string' ? value : undefined;
}

export function setPackageVersion(toml: string, version: string, file?: string): string {
  const nodes = stringValues(parse(toml, file)).filter((v) => v.path.join('.') === 'package.version');
  return replaceAll(
    toml,
    nodes.map((v) => v.node),
    version,
  );
}

/**
 * Points every requirement on `crate` at `version`: `crate = "x"`, `crate = { version = "x", ... }`
 * and `[dependencies.crate]` tables, in all dependency tables. A dependency without a version
 * (path only) gets none.
 */
export function setDependencyRequirement(toml: string, crate: string, version: string, file?: string): string {
  const nodes = stringValues(parse(toml, file)).filter((v) => {
    const dep = dependencyAt(v.path);
    return dep?.crate === crate && (dep.rest.length === 0 || dep.rest.join('.') === 'version');
  });
  return replaceAll(
    toml,
    nodes.map((v) => v.node),
    version,
  );
}

/** Names of the dependencies a manifest declares, in every dependency table (for publish order). */
export function dependencyNames(toml: string, file?: string): string[] {
  const value = getStaticTOMLValue(parse(toml, file)) as Record<string, unknown>;
  const tables = [value, ...Object.values((value.target ?? {}) as Record<string, Record<string, unknown>>)];
  return [...new Set(tables.flatMap((t) => [...DEPENDENCY_TABLES].flatMap((d) => Object.keys((t[d] ?? {}) as object))))];
}

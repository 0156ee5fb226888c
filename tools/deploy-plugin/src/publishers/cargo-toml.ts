/**
 * Line-level edits of Cargo.toml that keep its formatting and comments (no TOML library
 * rewrites the file): the [package] version and the version requirements on a dependency.
 */
const TABLE = /^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$/;
const DEP_TABLE = /^(target\..+\.)?(dependencies|dev-dependencies|build-dependencies)$/;

export function readPackageField(toml: string, field: 'name' | 'version'): string | undefined {
  let table = '';
  for (const line of toml.split('\n')) {
    const t = TABLE.exec(line);
    if (t) table = t[1]!.trim();
    else if (table === 'package') {
      const m = new RegExp(`^\\s*${field}\\s*=\\s*"([^"]*)"`).exec(line);
      if (m) return m[1];
    }
  }
  return undefined;
}

export function setPackageVersion(toml: string, version: string): string {
  let table = '';
  return toml
    .split('\n')
    .map((line) => {
      const t = TABLE.exec(line);
      if (t) table = t[1]!.trim();
      else if (table === 'package') return line.replace(/^(\s*version\s*=\s*)"[^"]*"/, `$1"${version}"`);
      return line;
    })
    .join('\n');
}

/**
 * Points every requirement on `crate` at `version`: `crate = "x"`, `crate = { version = "x", ... }`
 * and `[dependencies.crate]` tables, in all dependency tables. A dependency without a version
 * (path only) gets none.
 */
export function setDependencyRequirement(toml: string, crate: string, version: string): string {
  let table = '';
  const esc = crate.replace(/[-]/g, '\\-');
  return toml
    .split('\n')
    .map((line) => {
      const t = TABLE.exec(line);
      if (t) {
        table = t[1]!.trim();
        return line;
      }
      if (DEP_TABLE.test(table)) {
        const inline = new RegExp(`^(\\s*${esc}\\s*=\\s*)"[^"]*"`);
        if (inline.test(line)) return line.replace(inline, `$1"${version}"`);
        if (new RegExp(`^\\s*${esc}\\s*=\\s*\\{`).test(line)) return line.replace(/(\bversion\s*=\s*)"[^"]*"/, `$1"${version}"`);
      }
      const dotted = new RegExp(`^(target\\..+\\.)?(dependencies|dev-dependencies|build-dependencies)\\.${esc}$`);
      if (dotted.test(table)) return line.replace(/^(\s*version\s*=\s*)"[^"]*"/, `$1"${version}"`);
      return line;
    })
    .join('\n');
}

/** Names of the dependencies a manifest declares, in every dependency table (for publish order). */
export function dependencyNames(toml: string): string[] {
  let table = '';
  const names = new Set<string>();
  for (const line of toml.split('\n')) {
    const t = TABLE.exec(line);
    if (t) {
      table = t[1]!.trim();
      const dotted = /^(?:target\..+\.)?(?:dependencies|dev-dependencies|build-dependencies)\.(.+)$/.exec(table);
      if (dotted) names.add(dotted[1]!.trim());
      continue;
    }
    if (!DEP_TABLE.test(table)) continue;
    const m = /^\s*([A-Za-z0-9_-]+)\s*=/.exec(line);
    if (m) names.add(m[1]!);
  }
  return [...names];
}

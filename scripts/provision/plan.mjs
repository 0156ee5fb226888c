// What provisioning does, decided without touching the machine: which of the tools (tools.mjs,
// each with `present` filled in by the caller) to install, or the one message that tells the
// person at the keyboard what is missing and what to run.

const needsRoot = (tool) => Boolean(tool.install.apt || (tool.install.script && tool.install.root));

/**
 * @param tools      tools.mjs entries, each with present: boolean
 * @param isRoot     whether this process may install system packages
 * @param sudoForUser  root through sudo on behalf of a user: only what needs root is done here; the
 *                   rest (built into the user's own tools folder, or manual) is the user's next run
 * @param sudoCommand  the exact command that provisions as root, for the message
 * @returns {{ install: object[], message: null } | { install: [], message: string }}
 */
export function planProvisioning(tools, { isRoot, sudoForUser = false, sudoCommand }) {
  const absent = new Set(tools.filter((t) => !t.present).map((t) => t.name));
  let missing = tools.filter((t) => !t.present && (!t.buildsOnly || [t.buildsOnly].flat().some((n) => absent.has(n))));
  if (sudoForUser) missing = missing.filter(needsRoot);

  const manual = missing.filter((t) => t.install.manual);
  const forRoot = isRoot ? [] : missing.filter(needsRoot);
  if (!manual.length && !forRoot.length) return { install: missing, message: null };

  const lines = ['npm test needs tools that this machine does not have:'];
  if (forRoot.length) lines.push(`  ${names(forRoot)}: installing needs root; run\n      ${sudoCommand}`);
  for (const t of manual) lines.push(`  ${t.name}: ${t.install.manual}`);
  const later = missing.filter((t) => !forRoot.includes(t) && !manual.includes(t));
  if (later.length) lines.push(`  ${names(later)}: npm test installs ${later.length > 1 ? 'them' : 'it'} once the above is done`);
  lines.push('Then run npm test again.');
  return { install: [], message: lines.join('\n') };
}

function names(tools) {
  return tools.map((t) => `${t.name} (${t.install.apt ? `apt: ${t.install.apt.join(' ')}` : t.install.script})`).join(', ');
}

/**
 * The order of the installs: first, one after another, everything that needs root (apt and
 * dpkg hold one lock, and the builds may need what they install); then, all at once, the builds
 * into the tools folder, which need nothing of each other (downloads overlap compiles).
 * @returns {{ sequential: object[], parallel: object[] }}
 */
export function installWaves(install) {
  return { sequential: install.filter(needsRoot), parallel: install.filter((t) => !needsRoot(t)) };
}

/**
 * Pure: groups projects into deploy layers from their deploy dependencies. Each layer can deploy
 * in parallel once every earlier layer has succeeded (the barrier). Throws on a cycle.
 */
export function deployLayers(deps: Record<string, string[]>): string[][] {
  const remaining = new Map(Object.entries(deps).map(([p, d]) => [p, new Set(d.filter((x) => x in deps && x !== p))]));
  const layers: string[][] = [];
  while (remaining.size) {
    const ready = [...remaining]
      .filter(([, d]) => d.size === 0)
      .map(([p]) => p)
      .sort();
    if (!ready.length) throw new Error(`deploy dependencies form a cycle among: ${[...remaining.keys()].sort().join(', ')}`);
    layers.push(ready);
    for (const p of ready) remaining.delete(p);
    for (const d of remaining.values()) for (const p of ready) d.delete(p);
  }
  return layers;
}

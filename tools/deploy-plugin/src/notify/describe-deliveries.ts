import type { Delivery } from './alert.ts';

/** One line for the deploy summary: "slack ok, pagerduty failed: 429 after 3 attempts". */
export function describeDeliveries(deliveries: Delivery[]): string {
  if (!deliveries.length) return 'no alert channel configured';
  const skipped = deliveries.filter((d) => d.skipped);
  if (skipped.length === deliveries.length && new Set(skipped.map((d) => d.detail)).size === 1) {
    return `${deliveries.map((d) => d.channel).join(', ')} ${skipped[0]!.detail}`;
  }
  return deliveries.map((d) => (d.skipped ? `${d.channel} ${d.detail}` : d.ok ? `${d.channel} ok` : `${d.channel} failed: ${d.detail}`)).join(', ');
}

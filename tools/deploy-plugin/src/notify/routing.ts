import { channelName, type Alerts, type Channel, type Severity } from '../config/alerts.ts';

/**
 * Pure: the channels a severity goes to. A route names a channel or a type (every channel of that
 * type); the default routes name types a team may not use (no PagerDuty yet), so a name that
 * matches nothing is passed over and reported in `unmatched`.
 */
export function channelsFor(alerts: Alerts, severity: Severity): { channels: Channel[]; unmatched: string[] } {
  const refs = alerts.routes[severity];
  const channels = alerts.channels.filter((c) => refs.includes(channelName(c)) || refs.includes(c.type));
  const unmatched = refs.filter((ref) => !alerts.channels.some((c) => channelName(c) === ref || c.type === ref));
  return { channels, unmatched };
}

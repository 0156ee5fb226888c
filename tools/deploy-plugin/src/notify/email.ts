import type { NodemailerError } from 'nodemailer';
import type { Channel } from '../config/alerts.ts';
import { headline, type Alert } from './alert.ts';
import type { AttemptResult } from './attempts.ts';
import { readUrlVariable, type ChannelContext, type PreparedSend } from './channel.ts';

type EmailChannel = Extract<Channel, { type: 'email' }>;

export interface EmailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** Pure: the message for an alert: `[SEVERITY] title`, then the text and what it is about. */
export function emailMessage(alert: Alert, channel: EmailChannel): EmailMessage {
  const lines = [alert.text.trim(), '', `Project: ${alert.project}`, `Environment: ${alert.env}`];
  for (const [k, v] of Object.entries(alert.fields ?? {})) lines.push(`${k}: ${v}`);
  if (alert.link) lines.push('', `Details: ${alert.link}`);
  return {
    from: channel.from,
    to: channel.to,
    subject: `[${alert.severity.toUpperCase()}] ${headline(alert)}`.replace(/[\r\n]+/g, ' '),
    text: `${lines.join('\n').trim()}\n`,
  };
}

// Connection trouble, and SMTP 4xx replies ("try again later"), may pass on another try; a 5xx
// reply or refused credentials will not.
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS']);

function smtpFailure(err: NodemailerError): AttemptResult {
  const retry = err.permanent === false || (err.permanent === undefined && TRANSIENT_CODES.has(err.code ?? ''));
  const detail = err.code === 'ETIMEDOUT' ? 'timed out' : (err.message || String(err)).replace(/\s+/g, ' ');
  return { ok: false, retry, detail };
}

/** One SMTP connection per try, closed after it: alerts are rare, a pool would only linger. */
export function prepareEmail(alert: Alert, channel: EmailChannel, ctx: ChannelContext): PreparedSend {
  const url = readUrlVariable(ctx.environ, channel.smtpUrlVariable, 'the SMTP server as smtp://user:pass@host:port', ['smtp', 'smtps']);
  const message = emailMessage(alert, channel);
  const timeouts = { connectionTimeout: ctx.timeoutMs, greetingTimeout: ctx.timeoutMs, socketTimeout: ctx.timeoutMs, dnsTimeout: ctx.timeoutMs };
  return {
    secrets: [url.href],
    attempt: async () => {
      // Loaded when a mail goes out: every deploy loads this file, few send mail.
      const { createTransport } = await import('nodemailer');
      const transport = createTransport({ url: url.href, ...timeouts });
      try {
        const info = await transport.sendMail(message);
        return { ok: true, detail: `accepted for ${info.accepted.join(', ')}` };
      } catch (err) {
        return smtpFailure(err as NodemailerError);
      } finally {
        transport.close();
      }
    },
  };
}

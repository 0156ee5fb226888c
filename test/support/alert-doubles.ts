import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * DOUBLES of the two alert services the deploy tool talks to (not the services, not recordings):
 * a Slack incoming webhook and the PagerDuty Events API v2, each on a free 127.0.0.1 port. They
 * check the payloads as those services document them, answer as they answer, record every request,
 * and can be told to fail the next N requests (500, 429 with Retry-After...) to exercise retries.
 *
 *   Slack     POST /services/T.../B.../<token>   200 "ok"; 400 "no_text" (neither text nor blocks),
 *             400 "invalid_payload" (malformed JSON, invalid blocks); 404 "no_service" (wrong URL)
 *             https://api.slack.com/messaging/webhooks, https://api.slack.com/reference/block-kit/blocks
 *   PagerDuty POST /v2/enqueue          202 {status: 'success', message: 'Event processed', dedup_key}
 *             POST /v2/change/enqueue   202 {status: 'success', message: 'Change event processed'}
 *             400 {status: 'invalid event', message: 'Event object is invalid', errors: [...]}
 *             https://developer.pagerduty.com/docs/events-api-v2-overview
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** What the double answered. */
  status: number;
  answer: string;
}

interface Fault {
  left: number;
  status: number;
  retryAfter?: string;
}

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

interface DoubleServer {
  url: string;
  requests: RecordedRequest[];
  failNext(count: number, status?: number, retryAfter?: string): void;
  stop(): Promise<void>;
}

/** An HTTP server that records each request and answers it with `handle`, unless a fault is due. */
async function startDouble(
  handle: (method: string, path: string, raw: string, headers: IncomingMessage['headers']) => Answer,
  faultAnswer: (status: number) => Answer,
): Promise<DoubleServer> {
  const requests: RecordedRequest[] = [];
  let fault: Fault = { left: 0, status: 500 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let answer: Answer;
      if (fault.left > 0) {
        fault.left--;
        answer = faultAnswer(fault.status);
        if (fault.retryAfter !== undefined) answer.headers = { ...answer.headers, 'retry-after': fault.retryAfter };
      } else {
        answer = handle(req.method ?? 'GET', req.url ?? '/', raw, req.headers);
      }
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // recorded as text
      }
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, status: answer.status, answer: answer.body });
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    failNext: (count, status = 500, retryAfter) => (fault = { left: count, status, retryAfter }),
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const extraKeys = (o: Record<string, unknown>, allowed: string[]) => Object.keys(o).filter((k) => !allowed.includes(k));

// ---------------------------------------------------------------------------------------------- Slack

export interface SlackMessage {
  text?: string;
  blocks?: Record<string, unknown>[];
  [key: string]: unknown;
}

export interface SlackDouble {
  /** The incoming-webhook URL (the secret): what SLACK_WEBHOOK_URL would hold. */
  webhookUrl: string;
  /** Messages Slack would have posted, in order. */
  messages: SlackMessage[];
  /** Why each refused payload was refused, in order (the double's own words; Slack only says invalid_payload). */
  rejections: string[];
  requests: RecordedRequest[];
  /** The next `count` requests get `status` (500 "rollup_error", 429 "rate_limited"), with Retry-After if given. */
  failNext(count: number, status?: number, retryAfter?: string): void;
  stop(): Promise<void>;
}

const KNOWN_BLOCKS = ['header', 'section', 'context', 'divider', 'actions', 'image', 'input', 'rich_text', 'file', 'video', 'markdown'];

/** Why a Block Kit text object is invalid, or undefined. */
function textObjectProblem(t: unknown, where: string, max: number, plainOnly = false): string | undefined {
  if (!isObject(t)) return `${where} must be a text object`;
  if (t.type !== 'plain_text' && (plainOnly || t.type !== 'mrkdwn'))
    return `${where}.type must be ${plainOnly ? 'plain_text' : 'plain_text or mrkdwn'}`;
  if (typeof t.text !== 'string' || t.text.length < 1 || t.text.length > max) return `${where}.text must be a string of 1 to ${max} characters`;
  const extra = extraKeys(t, t.type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim']);
  return extra.length ? `${where} has unknown fields ${extra.join(', ')}` : undefined;
}

/** Why a Block Kit block is invalid, or undefined; the blocks the tool sends are checked to the letter. */
export function slackBlockProblem(block: unknown, i: number): string | undefined {
  const where = `blocks[${i}]`;
  if (!isObject(block) || typeof block.type !== 'string') return `${where} must be an object with a type`;
  if (!KNOWN_BLOCKS.includes(block.type)) return `${where}.type '${block.type}' is not a block type`;
  if (block.block_id !== undefined && (typeof block.block_id !== 'string' || block.block_id.length > 255))
    return `${where}.block_id must be a string of at most 255 characters`;
  switch (block.type) {
    case 'header': {
      const extra = extraKeys(block, ['type', 'text', 'block_id']);
      return extra.length ? `${where} has unknown fields ${extra.join(', ')}` : textObjectProblem(block.text, `${where}.text`, 150, true);
    }
    case 'section': {
      const extra = extraKeys(block, ['type', 'text', 'fields', 'accessory', 'expand', 'block_id']);
      if (extra.length) return `${where} has unknown fields ${extra.join(', ')}`;
      if (block.text === undefined && block.fields === undefined) return `${where} needs text or fields`;
      if (block.text !== undefined) {
        const p = textObjectProblem(block.text, `${where}.text`, 3000);
        if (p) return p;
      }
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length < 1 || block.fields.length > 10)
          return `${where}.fields must hold 1 to 10 text objects`;
        for (const [j, f] of block.fields.entries()) {
          const p = textObjectProblem(f, `${where}.fields[${j}]`, 2000);
          if (p) return p;
        }
      }
      return undefined;
    }
    case 'context': {
      const extra = extraKeys(block, ['type', 'elements', 'block_id']);
      if (extra.length) return `${where} has unknown fields ${extra.join(', ')}`;
      if (!Array.isArray(block.elements) || block.elements.length < 1 || block.elements.length > 10)
        return `${where}.elements must hold 1 to 10 elements`;
      for (const [j, e] of block.elements.entries()) {
        if (isObject(e) && e.type === 'image') continue;
        const p = textObjectProblem(e, `${where}.elements[${j}]`, 3000);
        if (p) return p;
      }
      return undefined;
    }
    case 'divider':
      return extraKeys(block, ['type', 'block_id']).length ? `${where}: a divider has no fields but type and block_id` : undefined;
    default:
      return undefined; // a block the tool never sends: accepted unchecked
  }
}

/** Slack's own checks of an incoming-webhook payload: 'no_text', or a reason for 'invalid_payload'. */
function slackPayloadProblem(body: unknown): { code: 'no_text' | 'invalid_payload'; why: string } | undefined {
  if (!isObject(body)) return { code: 'invalid_payload', why: 'the payload is not a JSON object' };
  const hasText = typeof body.text === 'string' && body.text.trim() !== '';
  if (body.text !== undefined && typeof body.text !== 'string') return { code: 'invalid_payload', why: 'text must be a string' };
  if (body.blocks === undefined) return hasText ? undefined : { code: 'no_text', why: 'neither text nor blocks' };
  if (!Array.isArray(body.blocks) || body.blocks.length > 50) return { code: 'invalid_payload', why: 'blocks must be an array of at most 50 blocks' };
  if (!body.blocks.length && !hasText) return { code: 'no_text', why: 'no text and no blocks' };
  for (const [i, block] of body.blocks.entries()) {
    const why = slackBlockProblem(block, i);
    if (why) return { code: 'invalid_payload', why };
  }
  return undefined;
}

function slackBody(raw: string, contentType: string | undefined): unknown {
  // Slack also takes a form post with the JSON in `payload`.
  const json = contentType?.startsWith('application/x-www-form-urlencoded') ? (new URLSearchParams(raw).get('payload') ?? '') : raw;
  return JSON.parse(json);
}

export async function startSlackDouble(): Promise<SlackDouble> {
  const path = `/services/T${randomBytes(4).toString('hex').toUpperCase()}/B${randomBytes(4).toString('hex').toUpperCase()}/${randomBytes(12).toString('hex')}`;
  const messages: SlackMessage[] = [];
  const rejections: string[] = [];
  const text = (status: number, body: string): Answer => ({ status, body, headers: { 'content-type': 'text/html' } });
  const double = await startDouble(
    (method, reqPath, raw, headers) => {
      if (method !== 'POST' || reqPath !== path) return text(404, 'no_service');
      let body: unknown;
      try {
        body = slackBody(raw, headers['content-type']);
      } catch {
        rejections.push('the body is not JSON');
        return text(400, 'invalid_payload');
      }
      const problem = slackPayloadProblem(body);
      if (problem) {
        rejections.push(problem.why);
        return text(400, problem.code);
      }
      messages.push(body as SlackMessage);
      return text(200, 'ok');
    },
    (status) => text(status, status === 429 ? 'rate_limited' : 'rollup_error'),
  );
  return { webhookUrl: `${double.url}${path}`, messages, rejections, requests: double.requests, failNext: double.failNext, stop: double.stop };
}

// ------------------------------------------------------------------------------------------ PagerDuty

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface PagerDutyChangeEvent {
  routing_key: string;
  payload: { summary: string; source?: string; timestamp?: string; custom_details?: Record<string, unknown> };
  [key: string]: unknown;
}

export interface PagerDutyDouble {
  /** What a channel's eventsUrl would be (https://events.pagerduty.com in production). */
  eventsUrl: string;
  /** The integration key the double knows: what PAGERDUTY_ROUTING_KEY would hold (32 characters). */
  routingKey: string;
  /** Accepted alert events (trigger, acknowledge, resolve), in order, with the dedup_key answered. */
  events: PagerDutyEvent[];
  /** Accepted change events, in order. */
  changes: PagerDutyChangeEvent[];
  /** Each incident's state by dedup_key, as the events left it. */
  incidents(): Record<string, 'triggered' | 'acknowledged' | 'resolved'>;
  requests: RecordedRequest[];
  /** The next `count` requests get `status` (429 throttled, 500), with Retry-After if given. */
  failNext(count: number, status?: number, retryAfter?: string): void;
  stop(): Promise<void>;
}

const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const blank = (v: unknown) => typeof v !== 'string' || v.trim() === '';
const badTimestamp = (v: unknown) => v !== undefined && (typeof v !== 'string' || Number.isNaN(Date.parse(v)));

function routingKeyErrors(key: unknown, known: string): string[] {
  if (blank(key)) return ["'routing_key' is missing or blank"];
  if ((key as string).length !== 32) return ["Length of 'routing_key' is incorrect (should be 32 characters)"];
  return key === known ? [] : ['Invalid routing key'];
}

function alertEventErrors(e: Record<string, unknown>, known: string): string[] {
  const errors = routingKeyErrors(e.routing_key, known);
  if (!ACTIONS.includes(e.event_action as string))
    errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255))
    errors.push("'dedup_key' must be a string of at most 255 characters");
  if (e.event_action !== 'trigger') {
    if (blank(e.dedup_key)) errors.push("'dedup_key' is missing or blank");
    return errors;
  }
  const p = e.payload;
  if (!isObject(p)) return [...errors, "'payload' is missing or not an object"];
  if (blank(p.summary)) errors.push("'payload.summary' is missing or blank");
  else if ((p.summary as string).length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
  if (blank(p.source)) errors.push("'payload.source' is missing or blank");
  if (!SEVERITIES.includes(p.severity as string))
    errors.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')");
  if (badTimestamp(p.timestamp)) errors.push("'payload.timestamp' is not an ISO 8601 date");
  for (const f of ['component', 'group', 'class']) if (p[f] !== undefined && typeof p[f] !== 'string') errors.push(`'payload.${f}' must be a string`);
  if (p.custom_details !== undefined && !isObject(p.custom_details)) errors.push("'payload.custom_details' must be an object");
  if (e.links !== undefined && (!Array.isArray(e.links) || e.links.some((l) => !isObject(l) || blank(l.href))))
    errors.push("'links' must be an array of {href, text}");
  return errors;
}

function changeEventErrors(e: Record<string, unknown>, known: string): string[] {
  const errors = routingKeyErrors(e.routing_key, known);
  const p = e.payload;
  if (!isObject(p)) return [...errors, "'payload' is missing or not an object"];
  if (blank(p.summary)) errors.push("'payload.summary' is missing or blank");
  else if ((p.summary as string).length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
  if (p.source !== undefined && typeof p.source !== 'string') errors.push("'payload.source' must be a string");
  if (badTimestamp(p.timestamp)) errors.push("'payload.timestamp' is not an ISO 8601 date");
  if (p.custom_details !== undefined && !isObject(p.custom_details)) errors.push("'payload.custom_details' must be an object");
  return errors;
}

export async function startPagerDutyDouble(): Promise<PagerDutyDouble> {
  const routingKey = randomBytes(16).toString('hex');
  const events: PagerDutyEvent[] = [];
  const changes: PagerDutyChangeEvent[] = [];
  const incidents: Record<string, 'triggered' | 'acknowledged' | 'resolved'> = {};
  const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const invalid = (errors: string[]) => json(400, { status: 'invalid event', message: 'Event object is invalid', errors });
  const double = await startDouble(
    (method, path, raw) => {
      if (method !== 'POST' || (path !== '/v2/enqueue' && path !== '/v2/change/enqueue'))
        return json(404, { status: 'not found', message: 'Not found' });
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return invalid(['Malformed JSON']);
      }
      if (!isObject(body)) return invalid(['Event object is not a JSON object']);
      if (path === '/v2/change/enqueue') {
        const errors = changeEventErrors(body, routingKey);
        if (errors.length) return invalid(errors);
        changes.push(body as PagerDutyChangeEvent);
        return json(202, { status: 'success', message: 'Change event processed' });
      }
      const errors = alertEventErrors(body, routingKey);
      if (errors.length) return invalid(errors);
      // PagerDuty makes up a dedup_key for a trigger without one, and answers it.
      const dedupKey = (body.dedup_key as string | undefined) ?? randomBytes(16).toString('hex');
      const event = { ...body, dedup_key: dedupKey } as PagerDutyEvent;
      events.push(event);
      const state = { trigger: 'triggered', acknowledge: 'acknowledged', resolve: 'resolved' } as const;
      incidents[dedupKey] = state[event.event_action];
      return json(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
    },
    (status) =>
      status === 429
        ? json(429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' })
        : json(status, { status: 'error', message: 'Internal server error' }),
  );
  return {
    eventsUrl: double.url,
    routingKey,
    events,
    changes,
    incidents: () => ({ ...incidents }),
    requests: double.requests,
    failNext: double.failNext,
    stop: double.stop,
  };
}

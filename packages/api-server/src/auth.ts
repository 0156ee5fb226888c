import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { TokenScopes } from './config.js';

/**
 * Bearer-token check for one scope, used as a route's preValidation hook: it runs after the
 * rate limiter (onRequest) and before body validation, so anonymous callers learn nothing
 * about the payload format.
 */
export function createAuth(tokens: TokenScopes) {
  // Compare fixed-length digests in constant time so response timing does not leak tokens.
  const known = [...tokens].map(([token, scopes]) => ({ digest: digest(token), scopes }));

  function scopesOf(request: FastifyRequest): ReadonlySet<string> | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) return undefined;
    const presented = digest(match[1]!);
    let found: ReadonlySet<string> | undefined;
    for (const entry of known) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.scopes;
    }
    return found;
  }

  return function requireScope(scope: string): preValidationAsyncHookHandler {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const scopes = scopesOf(request);
      if (!scopes) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
      }
      if (!scopes.has(scope)) {
        return reply.code(403).send({ error: 'forbidden', requiredScope: scope });
      }
    };
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

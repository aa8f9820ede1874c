import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import { hasScope, type Identity, type Principal, type Scope } from '../identity/index.js';
import type { HttpApp } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller behind the API key; set on every route that declares `config.scope`. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The scope a route requires; a route without one is public (probes, docs). */
    scope?: Scope;
  }
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
}

/** Guards every route with `config.scope`: 401 without a valid key, 403 without the scope; sets request.principal. */
export function registerAuth(app: HttpApp, identity: Identity): void {
  app.decorateRequest('principal', undefined);
  // onRequest, before the body is read: an anonymous caller must not make us parse a megabyte of JSON.
  // Being an instance hook, it also runs before the rate limiter's per-route hooks, which need the key.
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const token = bearerToken(request);
    const principal = token === undefined ? null : await identity.authenticate(token);
    if (!principal) throw errors.unauthorized();
    if (!hasScope(principal, scope)) throw errors.forbidden(scope);
    request.principal = principal;
  });
}

/** The request's principal, for handlers of authenticated routes; throws a 401 AppError if there is none. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw errors.unauthorized();
  return request.principal;
}

import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { ServiceError } from '../errors/httpStatus.js';

/** What the guard needs from the service options. */
export interface OriginGuardOptions {
  /** The interface the service listens on. */
  host: string;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}

const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ANY_INTERFACE = new Set(['0.0.0.0', '::', '[::]']);

/** `name` or `name:port` (IPv6 in brackets) → lower-case name in URL form and port, or null when it does not parse. */
function splitHost(value: string): { name: string; port: string } | null {
  try {
    const u = new URL(`http://${value}`);
    if (u.username || u.password || u.pathname !== '/' || u.search || u.hash || `${u.host}` !== value.toLowerCase().replace(/:80$/, '')) return null;
    return { name: u.hostname, port: u.port };
  } catch {
    return null;
  }
}

/** The listening address as a Host name (IPv6 bracketed). */
function hostName(host: string): string {
  return isIP(host) === 6 ? `[${host.toLowerCase()}]` : host.toLowerCase();
}

/**
 * Refuses, with 403 and a JSON error, what a web page on another site could make a browser send:
 *
 * - any request whose Host header is not the service's (DNS rebinding: a name that resolves to
 *   this machine). Served: localhost, 127.0.0.1, [::1], the listening address, and `allowedHosts`
 *   ('name' for any port, 'name:port', '*'); on a service listening on every interface, any IP
 *   address too (a rebinding page always sends its own name). A port in the Host must be the port
 *   the request came in on.
 * - a state-changing request (not GET, HEAD or OPTIONS) whose Origin header is present and is
 *   neither the service's own (http:// with the request's Host, or with a host it answers for and
 *   the port the request came in on) nor in `allowedOrigins` (or '*').
 *   A request without Origin (curl, the CLI, same-origin GETs) passes; the web page sends its own origin.
 */
export function originGuard(options: OriginGuardOptions): MiddlewareHandler {
  const anyHost = options.allowedHosts.includes('*');
  const anyOrigin = options.allowedOrigins.includes('*');
  const names = new Set([...LOCAL_NAMES, hostName(options.host)]);
  const withPort = new Set<string>();
  for (const h of options.allowedHosts) {
    const parsed = splitHost(h.trim());
    if (!parsed) continue;
    if (parsed.port) withPort.add(`${parsed.name}:${parsed.port}`);
    else names.add(parsed.name);
  }
  const origins = new Set(options.allowedOrigins.map((o) => o.trim().replace(/\/+$/, '').toLowerCase()));
  const anyIp = ANY_INTERFACE.has(options.host);

  const hostAllowed = (raw: string, localPort: number | undefined): boolean => {
    if (anyHost) return true;
    const h = splitHost(raw);
    if (!h) return false;
    if (withPort.has(`${h.name}:${h.port || '80'}`)) return true;
    const known = names.has(h.name) || (anyIp && isIP(h.name.replace(/^\[|\]$/g, '')) !== 0);
    return known && (!h.port || localPort === undefined || Number(h.port) === localPort);
  };

  /** http://<a host this service answers for>:<the port the request came in on>: a page of this service. */
  const ownOrigin = (o: string, localPort: number | undefined): boolean => {
    if (!o.startsWith('http://') || localPort === undefined) return false;
    const h = splitHost(o.slice('http://'.length));
    return h !== null && Number(h.port || '80') === localPort && hostAllowed(o.slice('http://'.length), localPort);
  };

  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    const localPort = (c.env as { incoming?: { socket?: { localPort?: number } } } | undefined)?.incoming?.socket?.localPort;
    if (!hostAllowed(host, localPort)) {
      throw new ServiceError(403, 'HOST_FORBIDDEN', `this service does not answer for host ${JSON.stringify(host.slice(0, 200))}: use http://localhost:<port>, or start it with allowedHosts naming that host`, {
        host: host.slice(0, 200),
      });
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && !SAFE_METHODS.has(c.req.method) && !anyOrigin) {
      const o = origin.trim().replace(/\/+$/, '').toLowerCase();
      if (o !== `http://${host.toLowerCase()}` && !origins.has(o) && !ownOrigin(o, localPort)) {
        throw new ServiceError(403, 'ORIGIN_FORBIDDEN', `requests that change something are not accepted from pages of origin ${JSON.stringify(origin.slice(0, 200))}: only from the service's own page, or from an origin in allowedOrigins`, {
          origin: origin.slice(0, 200),
        });
      }
    }
    return next();
  };
}

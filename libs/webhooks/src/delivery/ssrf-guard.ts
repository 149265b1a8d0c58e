import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { blockedReason } from './ip-ranges';
import { compileAllowlist, type Allowlist } from './ssrf-allowlist';

export { blockedReason } from './ip-ranges';

/** Whether outgoing webhook connections are checked, and what is let through anyway (development). */
export interface SsrfPolicy {
  enabled: boolean;
  /** CIDRs ("127.0.0.0/8", "::1/128"), single addresses, or exact hostnames ("localhost"): permitted even if private. */
  allowlist: readonly string[];
}

/** A connection the SSRF guard refused. undici may hand it over as the `cause` of its own error: see findSsrfError. */
export class SsrfBlockedError extends Error {
  readonly code = 'ERR_SSRF_BLOCKED';

  constructor(
    readonly address: string,
    readonly reason: string,
  ) {
    super(`refused to connect to ${address} (${reason})`);
    this.name = 'SsrfBlockedError';
  }
}

/** The SsrfBlockedError in `err` or its `.cause` chain, if any. */
export function findSsrfError(err: unknown): SsrfBlockedError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  // By shape, not `instanceof Error`: wrappers may come from Node internals or another realm.
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    if (current instanceof SsrfBlockedError) return current;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Resolves a hostname to every address it has (dns.lookup, `all: true`). Injectable for tests. */
export type ResolveAll = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

/** Options of createGuardedDispatcher. */
export interface GuardedDispatcherOptions {
  /** Time allowed to establish the TCP (and TLS) connection; default 10 s. */
  connectTimeoutMs?: number;
  /** Name resolution; default `dns.lookup(host, { all: true })`. */
  resolve?: ResolveAll;
  /** Trusted CA certificates (PEM) instead of Node's default roots: a development or test CA. */
  ca?: string | readonly string[];
}

const defaultResolve: ResolveAll = (hostname) => lookup(hostname, { all: true });

/** Errors after which the next resolved address is worth trying (no route over that family, nothing listening). */
const TRY_NEXT_ADDRESS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

/** Errors from Node internals (or another realm) may fail `instanceof Error` yet carry a code worth keeping. */
function toError(err: unknown): Error {
  return typeof err === 'object' && err !== null && 'message' in err ? (err as Error) : new Error(String(err));
}

function refuseIfBlocked(address: string, allowlist: Allowlist): void {
  const reason = blockedReason(address);
  if (reason !== null && !allowlist.allowsAddress(address)) throw new SsrfBlockedError(address, reason);
}

/** The checked addresses to connect to, or null to connect to the hostname as is (allowlisted hostname). */
async function checkedAddresses(hostname: string, allowlist: Allowlist, resolve: ResolveAll): Promise<string[] | null> {
  if (isIP(hostname) !== 0) {
    refuseIfBlocked(hostname, allowlist);
    return [hostname];
  }
  if (allowlist.allowsHost(hostname)) return null;
  const resolved = await resolve(hostname);
  if (resolved.length === 0) {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  }
  // Every address is judged: a name that resolves to one public and one private address is refused as a whole.
  for (const { address } of resolved) refuseIfBlocked(address, allowlist);
  return resolved.map(({ address }) => address);
}

function guardedConnector(
  base: buildConnector.connector,
  allowlist: Allowlist,
  resolve: ResolveAll,
): buildConnector.connector {
  return (options, callback) => {
    const attempt = (addresses: readonly string[], index: number): void => {
      const address = addresses[index] ?? '';
      // Connect to the address that was checked, never to the name again (no DNS-rebinding window); TLS still sends
      // and verifies the original hostname.
      const servername = options.servername || (isIP(options.hostname) === 0 ? options.hostname : undefined);
      base({ ...options, hostname: address, servername }, (...result) => {
        const [err] = result;
        const code = err && 'code' in err ? err.code : undefined;
        if (typeof code === 'string' && TRY_NEXT_ADDRESS.has(code) && index + 1 < addresses.length) {
          attempt(addresses, index + 1);
          return;
        }
        callback(...result);
      });
    };
    checkedAddresses(options.hostname, allowlist, resolve).then(
      (addresses) => {
        try {
          if (addresses === null) base(options, callback);
          else attempt(addresses, 0);
        } catch (err) {
          callback(toError(err), null);
        }
      },
      (err: unknown) => callback(toError(err), null),
    );
  };
}

/**
 * An undici Agent for webhook deliveries. When the policy is enabled, every connection is checked first: an IP
 * literal directly, a hostname after resolving it (refused if any of its addresses is blocked), and the connection is
 * made to the checked address itself. Refusals surface as SsrfBlockedError (see findSsrfError). Disabled, it is a
 * plain Agent.
 */
export function createGuardedDispatcher(policy: SsrfPolicy, options: GuardedDispatcherOptions = {}): Dispatcher {
  const base = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    ...(options.ca === undefined ? {} : { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
  });
  if (!policy.enabled) return new Agent({ connect: base });
  return new Agent({
    connect: guardedConnector(base, compileAllowlist(policy.allowlist), options.resolve ?? defaultResolve),
  });
}

/**
 * The same check as the guarded dispatcher's, ahead of any connection: null when `hostname` (an IP literal or a name,
 * resolved) may be reached under `policy`, else the SsrfBlockedError a connection would fail with. Lets an API refuse
 * a target when it is configured rather than when it is first used. Resolution errors are thrown as they are.
 */
export async function ssrfRefusal(hostname: string, policy: SsrfPolicy, resolve: ResolveAll = defaultResolve): Promise<SsrfBlockedError | null> {
  if (!policy.enabled) return null;
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  try {
    await checkedAddresses(bare, compileAllowlist(policy.allowlist), resolve);
    return null;
  } catch (err) {
    const blocked = findSsrfError(err);
    if (blocked) return blocked;
    throw err;
  }
}

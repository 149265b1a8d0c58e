import { type ResolveAll, type SsrfPolicy, ssrfRefusal } from '@chatbot/webhooks';

export interface KbSourceGuardOptions {
  /** Name resolution (default dns.lookup, all addresses). */
  resolve?: ResolveAll;
  /** A name that does not resolve within this time is let through (the fetch's own check still applies). */
  resolveTimeoutMs?: number;
}

/**
 * Why the SSRF guard would refuse to fetch `url` (a loopback, private, link-local or metadata address, by IP literal or
 * by what its hostname resolves to), or null. Used when a url/sitemap source is added, so such a source is a 400
 * instead of a document that fails later; every fetch (redirects included) is still checked by the worker. A name that
 * does not resolve now (unknown host, DNS down) is not judged here: the ingestion job reports it.
 */
export async function kbSourceRefusal(url: string, policy: SsrfPolicy, options: KbSourceGuardOptions = {}): Promise<string | null> {
  if (!policy.enabled) return null;
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return null; // malformed URLs are the DTO's to reject
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), options.resolveTimeoutMs ?? 3000);
  });
  try {
    const refusal = await Promise.race([ssrfRefusal(hostname, policy, options.resolve).catch(() => null), timeout]);
    return refusal ? `${url} is not reachable for knowledge-base ingestion: ${refusal.message}` : null;
  } finally {
    clearTimeout(timer);
  }
}

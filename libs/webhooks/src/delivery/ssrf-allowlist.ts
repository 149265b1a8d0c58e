import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

/** A compiled SSRF allowlist: CIDRs, single addresses and exact hostnames (case-insensitive, trailing dot ignored). */
export interface Allowlist {
  allowsHost(hostname: string): boolean;
  allowsAddress(ip: string): boolean;
}

function normalizeHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

function toCidr(entry: string): Cidr | null {
  if (ipaddr.isValidCIDR(entry)) return ipaddr.parseCIDR(entry);
  if (ipaddr.isValid(entry)) {
    const ip = ipaddr.parse(entry);
    return [ip, ip.kind() === 'ipv4' ? 32 : 128];
  }
  return null;
}

/** Matches across families: an IPv4-mapped IPv6 address matches an IPv4 CIDR and the other way round. */
function inCidr(ip: Address, [range, bits]: Cidr): boolean {
  if (ip.kind() === range.kind()) return ip.match(range, bits);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    return v6.isIPv4MappedAddress() && v6.toIPv4Address().match(range, bits);
  }
  return (ip as ipaddr.IPv4).toIPv4MappedAddress().match(range, bits);
}

/** Compiles allowlist entries ("127.0.0.0/8", "::1/128", "10.1.2.3", "localhost"). */
export function compileAllowlist(entries: readonly string[]): Allowlist {
  const cidrs: Cidr[] = [];
  const hosts = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const cidr = toCidr(entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry);
    if (cidr) cidrs.push(cidr);
    else hosts.add(normalizeHost(entry));
  }
  return {
    allowsHost: (hostname) => hosts.has(normalizeHost(hostname)),
    allowsAddress: (ip) => {
      if (!ipaddr.isValid(ip)) return false;
      const parsed = ipaddr.parse(ip);
      return cidrs.some((cidr) => inCidr(parsed, cidr));
    },
  };
}

import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/** The cloud instance-metadata endpoints (AWS, GCP, Azure, OpenStack; AWS over IPv6). */
const METADATA_V4 = '169.254.169.254';
const METADATA_V6 = 'fd00:ec2::254';

const V4_REASONS: Partial<Record<ReturnType<IPv4['range']>, string>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved',
  benchmarking: 'reserved',
};

/** IPv6 ranges refused outright (translation ranges are judged by the IPv4 address they embed, below). */
const V6_REASONS: Partial<Record<string, string>> = {
  unspecified: 'unspecified',
  loopback: 'loopback',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  multicast: 'multicast',
  deprecatedSiteLocal: 'site-local',
  discard: 'reserved',
  benchmarking: 'reserved',
  reserved: 'reserved',
  deprecatedOrchid: 'reserved',
  orchid2: 'reserved',
};

function v4FromWords(high: number, low: number): IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function v4Reason(ip: IPv4): string | null {
  if (ip.toString() === METADATA_V4) return 'link-local (cloud metadata)';
  return V4_REASONS[ip.range()] ?? null;
}

/** Prefixes the reason of an embedded IPv4 address with how it was embedded (null when the IPv4 address is fine). */
function embedded(kind: string, ip: IPv4): string | null {
  const reason = v4Reason(ip);
  return reason === null ? null : `${kind} ${reason}`;
}

function word(ip: IPv6, index: number): number {
  return ip.parts[index] ?? 0;
}

function v6Reason(ip: IPv6): string | null {
  if (ip.toNormalizedString() === ipaddr.parse(METADATA_V6).toNormalizedString()) return 'unique-local (cloud metadata)';
  const range = ip.range() as string;
  switch (range) {
    case 'ipv4Mapped':
      // Refused outright (issue 3): a public host has no reason to resolve to a mapped address.
      return embedded('IPv4-mapped', ip.toIPv4Address()) ?? 'IPv4-mapped IPv6';
    case 'rfc6145':
      return embedded('IPv4-translated', v4FromWords(word(ip, 6), word(ip, 7)));
    case 'rfc6052':
      // 64:ff9b::/96 embeds the IPv4 address in its last 32 bits; 64:ff9b:1::/48 is for local networks only.
      if (word(ip, 2) === 0 && word(ip, 3) === 0 && word(ip, 4) === 0 && word(ip, 5) === 0 && word(ip, 1) === 0xff9b) {
        return embedded('NAT64', v4FromWords(word(ip, 6), word(ip, 7)));
      }
      return 'NAT64 (local-use)';
    case '6to4':
      return embedded('6to4', v4FromWords(word(ip, 1), word(ip, 2)));
    case 'teredo':
      // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC, the client address obfuscated (bits inverted).
      return (
        embedded('Teredo server', v4FromWords(word(ip, 2), word(ip, 3))) ??
        embedded('Teredo client', v4FromWords(~word(ip, 6) & 0xffff, ~word(ip, 7) & 0xffff))
      );
    default:
      break;
  }
  const reason = V6_REASONS[range];
  if (reason !== undefined) return reason;
  // ::/96 (other than :: and ::1, handled above): deprecated IPv4-compatible addresses, never a legitimate target.
  if (ip.parts.slice(0, 6).every((part) => part === 0)) return 'IPv4-compatible';
  return null;
}

/**
 * Why a webhook must not connect to `ip` (loopback, private, link-local, CGNAT, unique-local, multicast, reserved, an
 * IPv4-mapped/NAT64/6to4/Teredo form of any of those, ...), or null for a public address. Anything that does not parse
 * as an IP address is refused too.
 */
export function blockedReason(ip: string): string | null {
  const literal = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(literal)) return 'not an IP address';
  const parsed = ipaddr.parse(literal);
  return parsed.kind() === 'ipv4' ? v4Reason(parsed as IPv4) : v6Reason(parsed as IPv6);
}

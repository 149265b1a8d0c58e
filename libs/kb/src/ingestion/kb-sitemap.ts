import { gunzipSync } from 'node:zlib';

export interface ParsedSitemap {
  /** `<urlset>` page URLs, in document order. */
  pages: string[];
  /** `<sitemapindex>` child sitemap URLs. */
  sitemaps: string[];
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
      if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
      if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
      return ENTITIES[entity.toLowerCase()] ?? whole;
    })
    .trim();
}

/**
 * Reads a sitemap (sitemaps.org protocol): a `<urlset>` of `<url><loc>` pages or a `<sitemapindex>` of `<sitemap><loc>`
 * sitemaps; gzip-compressed sitemaps (`.xml.gz`) are inflated. Namespace prefixes are tolerated.
 */
export function parseSitemap(bytes: Buffer): ParsedSitemap {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes, { maxOutputLength: 64 * 1024 * 1024 }) : bytes;
  const xml = raw.toString('utf8');
  const locs = (container: string): string[] => {
    const out: string[] = [];
    const re = new RegExp(`<(?:[\\w-]+:)?${container}\\b[^>]*>([\\s\\S]*?)</(?:[\\w-]+:)?${container}>`, 'gi');
    for (const block of xml.matchAll(re)) {
      const loc = /<(?:[\w-]+:)?loc\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?loc>/i.exec(block[1] ?? '');
      if (loc?.[1]) out.push(unescapeXml(loc[1]));
    }
    return out;
  };
  return { pages: locs('url'), sitemaps: locs('sitemap') };
}

/** The site a URL belongs to for "same site only": its host without a leading `www.`, whatever the scheme or port. */
export function siteOf(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/^www\./, '');
}

/** Whether a sitemap entry is an http(s) page of the sitemap's own site. */
export function isSameSite(candidate: string, sitemapUrl: string): boolean {
  try {
    const url = new URL(candidate);
    return (url.protocol === 'http:' || url.protocol === 'https:') && siteOf(candidate) === siteOf(sitemapUrl);
  } catch {
    return false;
  }
}

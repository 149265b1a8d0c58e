import { contentMismatch, csvToText, fileKindFromContentType, fileKindFromName } from './kb-extract';
import { extractHtml } from './kb-html';
import { isSameSite, parseSitemap } from './kb-sitemap';

describe('kb extraction', () => {
  it('file kinds by extension and content type', () => {
    expect(fileKindFromName('Report.PDF')).toBe('pdf');
    expect(fileKindFromName('notes.markdown')).toBe('md');
    expect(fileKindFromName('setup.exe')).toBeNull();
    expect(fileKindFromName('README')).toBeNull();
    expect(fileKindFromContentType('text/html; charset=utf-8', 'https://x.test/a')).toBe('html');
    expect(fileKindFromContentType('text/plain', 'https://x.test/readme.md')).toBe('md');
    expect(fileKindFromContentType('application/octet-stream', 'https://x.test/f.pdf')).toBe('pdf');
    expect(fileKindFromContentType('image/png', 'https://x.test/a.png')).toBeNull();
  });

  it('content must match the kind', () => {
    expect(contentMismatch(Buffer.from('%PDF-1.4 ...'), 'pdf')).toBeNull();
    expect(contentMismatch(Buffer.from('hello'), 'docx')).toMatch(/not a DOCX/);
    expect(contentMismatch(Buffer.from([0, 1, 2]), 'txt')).toMatch(/binary/);
  });

  it('HTML: main content as markdown-like text, without menus, banners, sidebars and footers', () => {
    const page = extractHtml(`<html><head><title>Pricing | Acme</title></head><body>
      <header><a>Acme</a><nav><a>Home</a><a>Pricing</a></nav></header>
      <div role="navigation">Breadcrumbs here</div>
      <main><h1>Pricing</h1><p>The Pro plan costs 20 EUR a month.</p><h2>Limits</h2><ul><li>10 seats</li><li>5 agents</li></ul>
      <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Pro</td><td>20</td></tr></table></main>
      <aside>Related posts</aside><footer>© Acme, imprint</footer><script>track()</script></body></html>`);
    expect(page.title).toBe('Pricing | Acme');
    expect(page.text).toMatch(/^#+ Pricing/m);
    expect(page.text).toMatch(/The Pro plan costs 20 EUR a month\./);
    expect(page.text).toMatch(/^#+ Limits$/m);
    expect(page.text).toMatch(/^- 10 seats$/m);
    expect(page.text).toMatch(/Plan \| Price/);
    expect(page.text).not.toMatch(/Home|Breadcrumbs|Related posts|imprint|track/);
  });

  it('CSV rows become labelled paragraphs (quoted fields, ; separators)', () => {
    expect(csvToText('name,price\n"Pro, yearly",200\nBasic,\n')).toBe('name: Pro, yearly; price: 200\n\nname: Basic');
    expect(csvToText('a;b\n1;2')).toBe('a: 1; b: 2');
  });

  it('sitemaps: urlset, sitemapindex, entities; same site only', () => {
    const set = parseSitemap(Buffer.from('<urlset><url><loc> https://a.test/x?y=1&amp;z=2 </loc></url><url><loc><![CDATA[https://a.test/c]]></loc></url></urlset>'));
    expect(set.pages).toEqual(['https://a.test/x?y=1&z=2', 'https://a.test/c']);
    const index = parseSitemap(Buffer.from('<sm:sitemapindex xmlns:sm="x"><sm:sitemap><sm:loc>https://a.test/s1.xml</sm:loc></sm:sitemap></sm:sitemapindex>'));
    expect(index).toEqual({ pages: [], sitemaps: ['https://a.test/s1.xml'] });
    expect(isSameSite('https://www.a.test/p', 'http://a.test/sitemap.xml')).toBe(true);
    expect(isSameSite('https://b.test/p', 'https://a.test/sitemap.xml')).toBe(false);
    expect(isSameSite('ftp://a.test/p', 'https://a.test/sitemap.xml')).toBe(false);
  });
});

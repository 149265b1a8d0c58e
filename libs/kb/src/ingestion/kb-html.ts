import { Readability } from '@mozilla/readability';
import * as linkedom from 'linkedom';

/** What a page gives the knowledge base: its title and its main content as markdown-like text. */
export interface ExtractedPage {
  title: string | null;
  text: string;
}

/** Page furniture: menus, banners, footers, sidebars, forms, scripts. Removed before the main content is chosen. */
const NOISE = [
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'canvas',
  'iframe',
  'object',
  'embed',
  'nav',
  'aside',
  'footer',
  'form',
  'button',
  'select',
  'dialog',
  'menu',
  '[role=navigation]',
  '[role=banner]',
  '[role=contentinfo]',
  '[role=complementary]',
  '[role=search]',
  '[role=menu]',
  '[role=menubar]',
  '[role=dialog]',
  '[hidden]',
  '[aria-hidden=true]',
].join(',');

const BLOCK = new Set([
  'ADDRESS', 'ARTICLE', 'BLOCKQUOTE', 'BODY', 'DD', 'DETAILS', 'DIV', 'DL', 'DT', 'FIELDSET', 'FIGCAPTION', 'FIGURE', 'HR',
  'LI', 'MAIN', 'OL', 'P', 'PRE', 'SECTION', 'SUMMARY', 'TABLE', 'TBODY', 'TFOOT', 'THEAD', 'TR', 'UL', 'HEADER', 'CAPTION',
]);
const HEADING = /^H([1-6])$/;
/** Below this many characters Readability's pick is not trusted (a short page, or a miss): the fallback is used. */
const MIN_READABLE_CHARS = 200;

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  parentNode?: DomNode | null;
}
interface DomElement extends DomNode {
  remove(): void;
  closest(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  querySelector(selector: string): DomElement | null;
  getAttribute(name: string): string | null;
}

/**
 * Main content of an HTML page, without menus, banners, footers and sidebars: page furniture is removed first, then
 * Readability (Firefox Reader View's algorithm) picks the article; on a page too short for it, the page's `<main>`
 * (or its only `<article>`, else the body) is used. Headings come out as `#` lines, list items as `- ` lines,
 * paragraphs separated by blank lines, so the chunker follows the page's structure.
 */
export function extractHtml(html: string): ExtractedPage {
  const document = parse(html);
  const titleText = normalizeSpace(document.querySelector('title')?.textContent ?? '');
  const h1 = normalizeSpace(document.querySelector('h1')?.textContent ?? '');
  stripNoise(document);

  let text = '';
  try {
    const article = new Readability(parse(document.toString()), { keepClasses: false }).parse();
    if (article?.content) text = domToText(parse(`<html><body>${article.content}</body></html>`).querySelector('body'));
  } catch {
    text = '';
  }
  if (text.length < MIN_READABLE_CHARS) {
    const articles = document.querySelectorAll('article');
    const only = articles.length === 1 ? (articles[0] ?? null) : null;
    const root = document.querySelector('main, [role=main]') ?? only ?? document.querySelector('body');
    const fallback = domToText(root);
    if (fallback.length > text.length) text = fallback;
  }
  return { title: titleText || h1 || null, text };
}

/** An HTML fragment (e.g. a DOCX converted to HTML) as markdown-like text, nothing removed. */
export function htmlFragmentToText(html: string): string {
  return domToText(parse(`<html><body>${html}</body></html>`).querySelector('body'));
}

/** linkedom's own typings name DOM lib types (`Window`) this Node project does not load: typed here by what is used. */
const parseHtmlDocument = (linkedom as unknown as { parseHTML: (html: string) => { document: DomElement & { toString(): string } } }).parseHTML;

function parse(html: string): DomElement & { toString(): string } {
  const wrapped = /<html[\s>]/i.test(html) ? html : `<!doctype html><html><head></head><body>${html}</body></html>`;
  return parseHtmlDocument(wrapped).document;
}

function stripNoise(document: DomElement): void {
  for (const el of Array.from(document.querySelectorAll(NOISE))) el.remove();
  // A page-level <header> is the site banner (logo, menu); an article's own <header> (its title) stays.
  for (const el of Array.from(document.querySelectorAll('header'))) {
    if (!el.parentNode || !(el).closest('article, main, [role=main]')) el.remove();
  }
}

function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Walks the DOM and writes blocks: headings as `#` lines, list items as `- `, table rows as `a | b`. */
function domToText(root: DomElement | null): string {
  if (!root) return '';
  const blocks: string[] = [];
  let line = '';
  const flush = () => {
    const text = normalizeSpace(line);
    if (text) blocks.push(text);
    line = '';
  };
  const walk = (node: DomNode, inPre: boolean): void => {
    if (node.nodeType === 3) {
      line += inPre ? (node.textContent ?? '') : (node.textContent ?? '').replace(/\s+/g, ' ');
      return;
    }
    if (node.nodeType !== 1) return;
    const name = node.nodeName.toUpperCase();
    const heading = HEADING.exec(name);
    if (heading) {
      flush();
      const text = normalizeSpace(node.textContent ?? '');
      if (text) blocks.push(`${'#'.repeat(Number(heading[1]))} ${text}`);
      return;
    }
    if (name === 'BR') {
      line += '\n';
      return;
    }
    if (name === 'PRE') {
      flush();
      const text = (node.textContent ?? '').replace(/\n{2,}/g, '\n').trim();
      if (text) blocks.push(text);
      return;
    }
    const block = BLOCK.has(name);
    if (block) flush();
    if (name === 'LI') line += '- ';
    if (name === 'TD' || name === 'TH') line += line.trim() ? ' | ' : '';
    for (const child of Array.from(node.childNodes)) walk(child, inPre);
    if (block) flush();
  };
  walk(root, false);
  flush();
  // A `- ` line with nothing after it (an empty list item) is dropped.
  return blocks.filter((b) => b !== '-').join('\n\n');
}

import { tsConfigForLang, tsConfigSql } from './kb-language';
import { deriveKbStatus } from './kb-status';

describe('kb language, query and status helpers', () => {
  it.each([
    ['en', 'english'],
    ['es', 'spanish'],
    ['de', 'german'],
    ['fr', 'french'],
    ['pt-BR', 'portuguese'],
    ['NB', 'norwegian'],
    ['zh', 'simple'],
    ['xx', 'simple'],
    ['', 'simple'],
    [null, 'simple'],
    ['__proto__', 'simple'],
  ])('lang %p → %s', (lang, cfg) => {
    expect(tsConfigForLang(lang)).toBe(cfg);
  });

  it('renders the same mapping as SQL from constants only', () => {
    const sql = tsConfigSql(`a.settings->>'lang'`);
    expect(sql).toContain(`WHEN 'en' THEN 'english'`);
    expect(sql).toContain(`ELSE 'simple' END`);
  });

  it('derives knowledgeBaseStatus', () => {
    const c = (pending: number, processing: number, ready: number, failed: number) => ({ pending, processing, ready, failed });
    expect(deriveKbStatus(c(0, 0, 0, 0))).toBe('empty');
    expect(deriveKbStatus(c(1, 0, 3, 1))).toBe('indexing');
    expect(deriveKbStatus(c(0, 1, 0, 0))).toBe('indexing');
    expect(deriveKbStatus(c(0, 0, 2, 1))).toBe('ready');
    expect(deriveKbStatus(c(0, 0, 0, 2))).toBe('failed');
  });
});

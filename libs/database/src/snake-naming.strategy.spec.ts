import { parseDatabaseUrl, withDatabase } from './data-source';
import { SnakeNamingStrategy, snakeCase } from './snake-naming.strategy';

describe('naming and URLs', () => {
  it('snake_cases names', () => {
    expect(snakeCase('tenantId')).toBe('tenant_id');
    expect(snakeCase('lastUsedAt')).toBe('last_used_at');
    expect(snakeCase('HTTPMethod')).toBe('http_method');
    const strategy = new SnakeNamingStrategy();
    expect(strategy.columnName('createdAtUNIX', undefined, [])).toBe('created_at_unix');
    expect(strategy.columnName('x', 'custom_name', [])).toBe('custom_name');
    expect(strategy.tableName('ApiKeyEntity', undefined)).toBe('api_key_entity');
  });

  it('derives the admin URL and swaps databases', () => {
    expect(parseDatabaseUrl('postgres://u:p@h:5432/chatbot')).toEqual({ adminUrl: 'postgres://u:p@h:5432/postgres', database: 'chatbot' });
    expect(withDatabase('postgres://u@h:5432/chatbot?sslmode=disable', 'other')).toBe('postgres://u@h:5432/other?sslmode=disable');
  });
});

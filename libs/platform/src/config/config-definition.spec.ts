import { ConfigValidationError, describeSchema, loadConfig } from './config-definition';
import { commonConfigChecks, commonEnvSchema } from './common-config';

describe('loadConfig', () => {
  it('applies defaults and coerces types', () => {
    const config = loadConfig('t', commonEnvSchema, {});
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/chatbot');
    expect(config.DATABASE_POOL_SIZE).toBe(10);
    expect(config.ENABLE_DOCS).toBe(true);
    expect(config.SECRETS_MASTER_KEYS).toBeUndefined();
  });

  it('treats an empty string as unset', () => {
    expect(loadConfig('t', commonEnvSchema, { LOG_LEVEL: '' }).LOG_LEVEL).toBe('info');
  });

  it('names every bad variable at once, hiding secret values', () => {
    let error: ConfigValidationError | undefined;
    try {
      loadConfig('svc', commonEnvSchema, {
        DATABASE_URL: 'mysql://root:hunter2@db/x',
        DATABASE_POOL_SIZE: '0',
        ENABLE_DOCS: 'yes',
        SECRETS_MASTER_KEYS: 'k1:short',
      });
    } catch (err) {
      error = err as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error!.problems.map((p) => p.split(':')[0])).toEqual(['DATABASE_URL', 'DATABASE_POOL_SIZE', 'SECRETS_MASTER_KEYS', 'ENABLE_DOCS']);
    expect(error!.message).toContain('svc: invalid configuration, refusing to start');
    expect(error!.message).not.toContain('hunter2');
    expect(error!.message).toContain('"0"');
  });

  it('requires real master keys in production only', () => {
    expect(() => loadConfig('t', commonEnvSchema, { NODE_ENV: 'production' }, commonConfigChecks)).toThrow(/SECRETS_MASTER_KEYS/);
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig('t', commonEnvSchema, { NODE_ENV: 'production', SECRETS_MASTER_KEYS: `k1:${key}` }, commonConfigChecks).NODE_ENV).toBe(
      'production',
    );
    expect(loadConfig('t', commonEnvSchema, { NODE_ENV: 'development' }, commonConfigChecks).NODE_ENV).toBe('development');
  });

  it('describes every variable for the docs', () => {
    const rows = describeSchema(commonEnvSchema);
    expect(rows.map((r) => r.name)).toEqual(Object.keys(commonEnvSchema));
    expect(rows.every((r) => r.description.length > 10)).toBe(true);
  });
});

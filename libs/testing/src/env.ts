/** The environment a service under test boots with: the run's database and Redis prefix, quiet logs, plus overrides. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent', NODE_ENV: 'test', ...overrides };
}

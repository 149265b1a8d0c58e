import { UsageError, parseArgs } from './cli-args';

describe('parseArgs', () => {
  it('reads positionals, --flag value, --flag=value and boolean flags', () => {
    const parsed = parseArgs(['tenant', 'create', '--name', 'Acme Inc', '--plan=team', '--json'], ['json']);
    expect(parsed.positionals).toEqual(['tenant', 'create']);
    expect(Object.fromEntries(parsed.flags)).toEqual({ name: 'Acme Inc', plan: 'team', json: true });
  });

  it('refuses a flag without its value and a value on a boolean flag', () => {
    expect(() => parseArgs(['--name'], [])).toThrow(UsageError);
    expect(() => parseArgs(['--name', '--json'], ['json'])).toThrow(UsageError);
    expect(() => parseArgs(['--json=yes'], ['json'])).toThrow(UsageError);
    expect(() => parseArgs(['--'], [])).toThrow(UsageError);
  });
});

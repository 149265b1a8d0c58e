import type { AppLogger } from '@chatbot/platform';
import { ThrottledWarning } from './throttled-warning';

describe('ThrottledWarning', () => {
  it('logs the first warning with the error message, then none until the interval has passed', async () => {
    const lines: [Record<string, unknown>, string][] = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => lines.push([fields, message]) } as unknown as AppLogger;
    const warning = new ThrottledWarning(logger, 50);
    warning.warn('first', new Error('down'), { jobId: 'j1' });
    warning.warn('second', 'also down');
    expect(lines).toEqual([[{ jobId: 'j1', err: { message: 'down' } }, 'first']]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    warning.warn('third', 'still down');
    expect(lines.map(([, message]) => message)).toEqual(['first', 'third']);
    expect(lines[1]![0]).toEqual({ err: { message: 'still down' } });
  });
});

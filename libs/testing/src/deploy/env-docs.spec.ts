import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type ServiceEnvSchema, renderEnvExample } from '@chatbot/platform';
import { agentsApiEnvSchema } from '../../../../apps/agents-api/src/config/agents-api.config';
import { businessApiEnvSchema } from '../../../../apps/business-api/src/config/business-api.config';
import { widgetApiEnvSchema } from '../../../../apps/widget-api/src/config/widget-api.config';
import { workerEnvSchema } from '../../../../apps/worker/src/config/worker.config';

const ROOT = path.resolve(__dirname, '../../../..');
const services: ServiceEnvSchema[] = [
  { service: 'widget-api', schema: widgetApiEnvSchema },
  { service: 'business-api', schema: businessApiEnvSchema },
  { service: 'agents-api', schema: agentsApiEnvSchema },
  { service: 'worker', schema: workerEnvSchema },
];

describe('configuration docs follow the config schemas', () => {
  it('.env.example is exactly what the schemas generate (run `node scripts/env-docs.js > .env.example`)', () => {
    expect(readFileSync(path.join(ROOT, '.env.example'), 'utf8')).toBe(renderEnvExample(services));
  });

  it('the README documents every variable', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const names = new Set(services.flatMap((s) => Object.keys(s.schema)));
    for (const name of names) expect(readme).toContain(`| \`${name}\` |`);
  });
});

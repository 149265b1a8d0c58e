import { type ConfigOf, commonEnvSchema, envVar, portSchema } from '@chatbot/platform';
import { webhookDeliveryEnvSchema } from '@chatbot/webhooks';

export const businessApiEnvSchema = {
  ...commonEnvSchema,
  ...webhookDeliveryEnvSchema,
  BUSINESS_API_PORT: envVar(portSchema('BUSINESS_API_PORT'), {
    default: '3002',
    description: 'HTTP port of business-api.',
  }),
} as const;

export type BusinessApiConfig = ConfigOf<typeof businessApiEnvSchema>;

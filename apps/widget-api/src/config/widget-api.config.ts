import { type ConfigOf, commonEnvSchema, envVar, portSchema } from '@chatbot/platform';

export const widgetApiEnvSchema = {
  ...commonEnvSchema,
  WIDGET_API_PORT: envVar(portSchema('WIDGET_API_PORT'), {
    default: '3001',
    description: 'HTTP port of widget-api.',
  }),
} as const;

export type WidgetApiConfig = ConfigOf<typeof widgetApiEnvSchema>;

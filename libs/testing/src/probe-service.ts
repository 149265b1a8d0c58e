import { Module } from '@nestjs/common';
import { PlatformModule, type ServiceDefinition, commonEnvSchema, envVar, portSchema } from '@chatbot/platform';
import { TENANCY_ENTITIES, TenantAuthModule } from '@chatbot/tenant-auth';
import { ProbeModule } from './probe.module';

const probeEnvSchema = {
  ...commonEnvSchema,
  PROBE_PORT: envVar(portSchema('PROBE_PORT'), { default: '0', description: 'test only' }),
} as const;

@Module({})
class ProbeRootModule {}

/** A minimal service built exactly like the real ones (platform + tenant-auth), with the probe routes. */
export const probeServiceDefinition: ServiceDefinition<typeof probeEnvSchema> = {
  name: 'probe',
  envSchema: probeEnvSchema,
  portKey: 'PROBE_PORT',
  rootModule: (config, logger) => ({
    module: ProbeRootModule,
    imports: [
      PlatformModule.forRoot({ serviceName: 'probe', config, logger, entities: TENANCY_ENTITIES }),
      TenantAuthModule.forRoot(),
      ProbeModule,
    ],
  }),
  docs: { title: 'Probe', description: 'test service' },
};

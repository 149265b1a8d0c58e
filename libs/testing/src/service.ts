import { type DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AppLogger, type EnvSchema, type ServiceDefinition, createServiceApp } from '@chatbot/platform';
import { testEnv } from './env';

export interface RunningService {
  app: NestFastifyApplication;
  baseUrl: string;
  close: () => Promise<void>;
}

@Module({})
class TestRootModule {}

/**
 * Boots a real service (real Postgres, Redis, Fastify, listening on a free loopback port). `extraModules` adds
 * test-only modules beside the app's own, to exercise platform behaviour (guards, pipes) on routes made for the test.
 */
export async function startService<S extends EnvSchema>(
  definition: ServiceDefinition<S>,
  options: { env?: Record<string, string | undefined>; extraModules?: DynamicModule['imports'] } = {},
): Promise<RunningService> {
  const wrapped: ServiceDefinition<S> = options.extraModules
    ? {
        ...definition,
        rootModule: (config, logger: AppLogger) => ({
          module: TestRootModule,
          imports: [definition.rootModule(config, logger), ...(options.extraModules ?? [])],
        }),
      }
    : definition;
  const { app } = await createServiceApp(wrapped, testEnv(options.env));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('service did not bind a TCP port');
  return { app, baseUrl: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

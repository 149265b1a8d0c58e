import { randomUUID } from 'node:crypto';
import { type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type CommonConfig, commonConfigChecks } from '../config/common-config';
import { type ConfigOf, ConfigValidationError, type EnvSchema, loadConfig } from '../config/config-definition';
import { createValidationPipe } from '../errors/validation';
import { type AppLogger, PinoNestLogger, createLogger } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';

export interface ServiceDefinition<S extends EnvSchema> {
  /** Short name used in logs, metrics and connection names, e.g. `agents-api`. */
  name: string;
  envSchema: S;
  /** Which config key holds the HTTP port. */
  portKey: keyof ConfigOf<S> & string;
  /** Builds the root module from the validated config. */
  rootModule: (config: ConfigOf<S> & CommonConfig, logger: AppLogger) => DynamicModule;
  docs?: { title: string; description: string };
}

export interface ServiceApp<S extends EnvSchema> {
  app: NestFastifyApplication;
  config: ConfigOf<S> & CommonConfig;
  logger: AppLogger;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Builds the Nest/Fastify application (not yet listening). Tests call this with their own env. */
export async function createServiceApp<S extends EnvSchema>(
  definition: ServiceDefinition<S>,
  env: Env,
): Promise<ServiceApp<S>> {
  const config = loadConfig(definition.name, definition.envSchema, env, commonConfigChecks) as ConfigOf<S> & CommonConfig;
  const logger = createLogger(definition.name, config.LOG_LEVEL);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Path parameters carry ids chosen by clients (TIXAE user ids up to 200 characters, percent-encoded).
    routerOptions: { maxParamLength: 1024 },
    // A client's own X-Forwarded-For counts only when the peer is a trusted proxy (TRUST_PROXY).
    trustProxy: config.TRUST_PROXY === 'true' ? true : config.TRUST_PROXY === 'false' ? false : config.TRUST_PROXY.split(',').map((part) => part.trim()),
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(definition.rootModule(config, logger), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
  });
  app.useGlobalPipes(createValidationPipe());

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  // Graceful shutdown: once closing starts, every response still in flight tells its client to drop the keep-alive
  // connection, so the server can finish them and close instead of waiting for idle sockets to time out.
  let closing = false;
  fastify.addHook('preClose', (done: () => void) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    void reply.header('x-request-id', request.id);
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
  // Errors Fastify raises before a handler runs (malformed JSON, size limit, media type) reach Nest's error handler
  // and so the global AllExceptionsFilter, which maps them to their 4xx in the one error shape.

  if (definition.docs && config.ENABLE_DOCS) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle(definition.docs.title)
        .setDescription(definition.docs.description)
        .setVersion('1.0')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
        .addSecurityRequirements('bearer')
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', raw: ['json'] });
  }
  return { app, config, logger };
}

/**
 * The `main.ts` of every service: reads `process.env` (the only place that does), refuses to start on bad config
 * with a message naming every bad variable, listens, and exits after a bounded graceful shutdown.
 */
export async function runService<S extends EnvSchema>(definition: ServiceDefinition<S>): Promise<void> {
  let service: ServiceApp<S>;
  try {
    service = await createServiceApp(definition, process.env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const { app, config, logger } = service;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, finishing in-flight work');
    setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  const port = Number(config[definition.portKey]);
  await app.listen({ port, host: config.HOST });
  logger.info({ port, host: config.HOST }, `${definition.name} listening`);
}

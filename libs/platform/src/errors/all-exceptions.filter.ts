import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorBody, errorBody } from './error-shape';
import { APP_LOGGER } from '../logging/logger.tokens';
import type { AppLogger } from '../logging/logger';

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Maps errors thrown by Fastify itself (body parser, content type, size limit) to their 4xx. */
export function fastifyErrorToBody(error: FastifyLikeError): ErrorBody | undefined {
  const status = error.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errorBody(400, `Malformed JSON body: ${error.message ?? 'could not be parsed'}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody(413, 'Request body is larger than the allowed limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody(415, error.message ?? 'Unsupported media type');
    default:
      return errorBody(status, error.message ?? 'Bad request');
  }
}

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'string') return errorBody(status, response);
    const record = response as Record<string, unknown>;
    const rawMessage = record['message'];
    const message = Array.isArray(rawMessage)
      ? rawMessage.join('; ')
      : typeof rawMessage === 'string'
        ? rawMessage
        : exception.message;
    return errorBody(status, message, record['details']);
  }
  const fastifyBody = fastifyErrorToBody(exception as FastifyLikeError);
  if (fastifyBody) return fastifyBody;
  return errorBody(500, 'Internal server error');
}

/** Lets an app wrap the one error shape in its API's envelope (agents-api: TIXAE's `{ success, message, data }`). */
export const ERROR_BODY_DECORATOR = Symbol('ERROR_BODY_DECORATOR');
export type ErrorBodyDecorator = (body: ErrorBody) => Record<string, unknown>;

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    @Inject(ERROR_BODY_DECORATOR) private readonly decorate: ErrorBodyDecorator,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, reqId: request.id, url: request.url }, 'unhandled error');
    }
    if (body.statusCode === 429 || body.statusCode === 503) {
      const retryAfter = (exception as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    }
    void reply.status(body.statusCode).send(this.decorate(body));
  }
}

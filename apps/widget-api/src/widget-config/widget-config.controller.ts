import { Controller, Get, HttpException, HttpStatus, Inject, Options, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { APP_CONFIG, Public } from '@chatbot/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WidgetApiConfig } from '../config/widget-api.config';
import { IpRateLimiter } from './ip-rate-limiter';
import { WidgetConfig } from './widget-config.dto';
import type { RenderedConfig } from './widget-config.renderer';
import { type ConfigQuery, WidgetConfigService } from './widget-config.service';

class TooManyRequestsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many widget config requests from this address; retry in ${retryAfterSeconds} s`, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** RFC 9110 If-None-Match: a list of entity tags or `*`, compared weakly (`W/"x"` matches `"x"`). */
export function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  for (const part of header.split(',')) {
    let tag = part.trim();
    if (tag.startsWith('W/')) tag = tag.slice(2);
    if (tag === etag) return true;
  }
  return false;
}

const QUERY_DOCS = {
  tenant: ApiQuery({ name: 'tenant', required: true, description: 'Your tenant ID', schema: { type: 'string', format: 'uuid' } }),
  chatbot: ApiQuery({ name: 'chatbot', required: true, description: 'Your chatbot ID (= agent ID)', schema: { type: 'string', format: 'uuid' } }),
};

/**
 * `GET /api/widget/config`: public (widget frontends call it on every page load), answered from the in-process cache
 * with no I/O on a hit (rate limiter included). CORS is per chatbot: only its exact `allowedOrigins` get
 * `Access-Control-Allow-Origin`; an empty list means no cross-origin access at all.
 */
@ApiTags('widget')
@Controller('api/widget')
export class WidgetConfigController {
  private readonly cacheControl: string;

  constructor(
    private readonly configs: WidgetConfigService,
    private readonly limiter: IpRateLimiter,
    @Inject(APP_CONFIG) config: WidgetApiConfig,
  ) {
    this.cacheControl =
      `public, max-age=${config.WIDGET_CONFIG_MAX_AGE_SECONDS}, ` +
      `stale-while-revalidate=${config.WIDGET_CONFIG_STALE_WHILE_REVALIDATE_SECONDS}`;
  }

  @Get('config')
  @Public()
  @ApiSecurity({})
  @ApiOperation({
    summary: 'Get complete chatbot configuration',
    description:
      'Everything the widget needs to render (never a prompt or a secret). Strong ETag (304 on If-None-Match), ' +
      'Cache-Control with stale-while-revalidate, CORS limited to the chatbot\'s allowedOrigins (none when empty), ' +
      'rate-limited per client IP.',
  })
  @QUERY_DOCS.tenant
  @QUERY_DOCS.chatbot
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'ETag of a copy the client holds' })
  @ApiOkResponse({
    type: WidgetConfig,
    headers: {
      ETag: { description: 'Strong validator (hash of the body bytes)', schema: { type: 'string' } },
      'Cache-Control': { description: 'public, max-age, stale-while-revalidate', schema: { type: 'string' } },
      Vary: { description: 'Origin', schema: { type: 'string' } },
    },
  })
  @ApiResponse({ status: 304, description: 'The copy named by If-None-Match is current' })
  @ApiBadRequestResponse({ description: 'tenant or chatbot missing or not a UUID' })
  @ApiNotFoundResponse({ description: 'Unknown or deleted chatbot, or a chatbot of another tenant' })
  @ApiTooManyRequestsResponse({ description: 'Rate limit of the client IP exceeded (see Retry-After)' })
  config(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void | Promise<void> {
    this.limit(request);
    const found = this.configs.find(this.parse(request));
    if (found instanceof Promise) return found.then((config) => this.send(request, reply, config));
    this.send(request, reply, found);
  }

  @Options('config')
  @Public()
  @ApiSecurity({})
  @ApiOperation({ summary: 'CORS preflight for the widget config (allowed origins of the chatbot only)' })
  @QUERY_DOCS.tenant
  @QUERY_DOCS.chatbot
  @ApiNoContentResponse({ description: 'Access-Control-Allow-Origin present only for an allowed origin' })
  @ApiBadRequestResponse({ description: 'tenant or chatbot missing or not a UUID' })
  @ApiNotFoundResponse({ description: 'Unknown or deleted chatbot, or a chatbot of another tenant' })
  async preflight(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.limit(request);
    const config = await this.configs.find(this.parse(request));
    void reply.header('vary', 'Origin, Access-Control-Request-Headers');
    const origin = request.headers.origin;
    if (origin && config.origins.includes(origin)) {
      const requested = request.headers['access-control-request-headers'];
      void reply.headers({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-max-age': '600',
        ...(typeof requested === 'string' && requested ? { 'access-control-allow-headers': requested } : {}),
      });
    }
    void reply.code(204).send();
  }

  /**
   * The query is read here rather than through `@Query()` parameters: it skips two global-pipe passes per request on
   * the hot path, and the service validates both values itself (documented above with `@ApiQuery`).
   */
  private parse(request: FastifyRequest): ConfigQuery {
    const query = (request.query ?? {}) as Record<string, unknown>;
    return this.configs.parse(query['tenant'], query['chatbot']);
  }

  private limit(request: FastifyRequest): void {
    const decision = this.limiter.hit(request.ip);
    if (!decision.allowed) throw new TooManyRequestsException(decision.retryAfterSeconds);
  }

  private send(request: FastifyRequest, reply: FastifyReply, config: RenderedConfig): void {
    const origin = request.headers.origin;
    const allowed = origin !== undefined && config.origins.includes(origin);
    void reply.headers({
      vary: 'Origin',
      etag: config.etag,
      'cache-control': this.cacheControl,
      ...(allowed ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'ETag' } : {}),
    });
    if (ifNoneMatch(request.headers['if-none-match'], config.etag)) {
      void reply.code(304).send();
      return;
    }
    void reply.code(200).header('content-type', 'application/json; charset=utf-8').send(config.body);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { type EventEnvelope, writeOutboxEvent } from '@chatbot/events';
import { APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { type TenantId, asTenantId } from '@chatbot/tenant-auth';
import type { Dispatcher } from 'undici';
import { DataSource, type EntityManager } from 'typeorm';
import type { WebhookDeliveryConfig } from './config/webhook-config';
import { renderPayload } from './delivery/payload-template';
import { classifyStatus, parseRetryAfterMs, retryDelayMs } from './delivery/retry-policy';
import { type SendResult, sendWebhook } from './delivery/http-sender';
import { webhookHeaders } from './delivery/signature';
import type { WebhookEntity } from './entities/webhook.entity';
import { DeliveryLogRepository } from './repositories/delivery-log.repository';
import { WebhookMessageRepository } from './repositories/webhook-message.repository';
import { WebhookRepository } from './repositories/webhook.repository';
import { WebhookSecrets } from './webhook-secrets';
import { DeliveryResultWriter } from './delivery-result-writer';
import { isHealthy } from './repositories/webhook-row';

export const WEBHOOK_DELIVERY_CONFIG = Symbol('WEBHOOK_DELIVERY_CONFIG');
export const WEBHOOK_DISPATCHER = Symbol('WEBHOOK_DISPATCHER');

export interface AttemptInput {
  webhook: WebhookEntity;
  event: EventEnvelope;
  /** 1-based. */
  attempt: number;
  maxAttempts: number;
  messageId: string | null;
  isTest: boolean;
}

export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'gone';

export interface AttemptResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  /** Set when another attempt follows: its delay (backoff with jitter, or the receiver's Retry-After). */
  retryInMs: number | null;
  logId: string;
}

/**
 * One delivery attempt, the same code for worker deliveries and synchronous test sends: render the payload, sign it
 * (Standard Webhooks), send it through the SSRF-guarded dispatcher, and record the attempt, the message state and the
 * endpoint's health in one transaction (disabling it, with a `webhook_disabled` event, when it is gone or has been
 * failing too long).
 */
@Injectable()
export class WebhookDeliveryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhookRepository,
    private readonly messages: WebhookMessageRepository,
    private readonly logs: DeliveryLogRepository,
    private readonly secrets: WebhookSecrets,
    @Inject(WEBHOOK_DELIVERY_CONFIG) private readonly config: WebhookDeliveryConfig,
    @Inject(WEBHOOK_DISPATCHER) private readonly dispatcher: Dispatcher,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    private readonly successes: DeliveryResultWriter,
  ) {}

  async attempt(input: AttemptInput): Promise<AttemptResult> {
    const { webhook, event } = input;
    const tenantId = asTenantId(webhook.tenantId);
    const body = renderPayload(webhook.payloadTemplate, event);
    const isGet = webhook.httpMethod === 'GET';
    const signed = webhookHeaders({
      msgId: event.id,
      timestamp: Math.floor(Date.now() / 1000),
      body: isGet ? '' : body,
      secrets: this.secrets.signingSecrets(webhook),
    });
    const result = await sendWebhook(this.dispatcher, {
      url: webhook.webhookUrl,
      method: webhook.httpMethod,
      headers: { ...this.secrets.headers(webhook), ...signed },
      body: isGet ? '' : body,
      timeoutMs: this.config.WEBHOOK_TIMEOUT_MS,
      maxResponseBytes: this.config.WEBHOOK_MAX_RESPONSE_BYTES,
    });

    const classified = this.classify(result);
    let outcome: AttemptOutcome = classified;
    let retryInMs: number | null = null;
    if (classified === 'retry') {
      if (input.attempt < input.maxAttempts && !input.isTest) {
        retryInMs =
          parseRetryAfterMs(result.headers['retry-after'], Date.now(), this.config.WEBHOOK_RETRY_AFTER_MAX_MS) ??
          retryDelayMs(webhook.retryConfig, input.attempt);
      } else {
        outcome = 'failed';
      }
    }
    const error = result.error ?? (outcome === 'delivered' ? null : `endpoint answered HTTP ${result.status}`);

    if (outcome === 'delivered' && !input.isTest && input.messageId) {
      // The common case: one group-committed statement (which also resets the health of a webhook that was failing).
      const logId = await this.successes.write({
        tenantId,
        webhookId: webhook.id,
        messageId: input.messageId,
        eventId: event.id,
        eventType: event.type,
        attempt: input.attempt,
        requestUrl: webhook.webhookUrl,
        responseStatus: result.status!,
        responseBody: result.body || null,
        durationMs: Math.round(result.durationMs),
      });
      return { outcome, statusCode: result.status, error: null, retryInMs: null, logId };
    }

    const logId = await this.dataSource.transaction(async (manager) => {
      const log = await this.logs.insert(manager, {
        tenantId,
        webhookId: webhook.id,
        messageId: input.messageId,
        eventId: event.id,
        eventType: event.type,
        attempt: input.attempt,
        isTest: input.isTest,
        requestUrl: webhook.webhookUrl,
        responseStatus: result.status,
        responseBody: result.body || null,
        errorMessage: error,
        durationMs: Math.round(result.durationMs),
        success: outcome === 'delivered',
        nextAttemptAt: retryInMs === null ? null : new Date(Date.now() + retryInMs),
      });
      if (input.isTest) return log.id;
      if (input.messageId) {
        await this.messages.recordAttempt(manager, input.messageId, {
          status: outcome === 'delivered' ? 'delivered' : outcome === 'retry' ? 'pending' : 'failed',
          attempts: input.attempt,
          lastError: error,
          nextAttemptAt: log.nextAttemptAt,
        });
      }
      await this.trackHealth(manager, tenantId, webhook, outcome, result);
      return log.id;
    });
    return { outcome, statusCode: result.status, error, retryInMs, logId };
  }

  private classify(result: SendResult): AttemptOutcome {
    if (result.status === null) return result.errorOutcome === 'give-up' ? 'failed' : 'retry';
    const status = classifyStatus(result.status);
    return status === 'give-up' ? 'failed' : status;
  }

  private async trackHealth(
    manager: EntityManager,
    tenantId: TenantId,
    webhook: WebhookEntity,
    outcome: AttemptOutcome,
    result: SendResult,
  ): Promise<void> {
    if (outcome === 'delivered') {
      if (!isHealthy(webhook)) await this.webhooks.recordSuccess(manager, tenantId, webhook.id);
      return;
    }
    if (outcome === 'gone') {
      await this.disable(manager, tenantId, webhook, `endpoint answered 410 Gone`, null);
      return;
    }
    const health = await this.webhooks.recordFailure(manager, tenantId, webhook.id);
    if (!health?.isActive) return;
    const failingFor = Date.now() - health.failingSince.getTime();
    if (failingFor >= this.config.WEBHOOK_AUTO_DISABLE_AFTER_MS && health.consecutiveFailures >= this.config.WEBHOOK_AUTO_DISABLE_MIN_FAILURES) {
      const reason =
        `failing continuously since ${health.failingSince.toISOString()} ` +
        `(${health.consecutiveFailures} consecutive failed attempts; last: ${result.error ?? `HTTP ${result.status}`})`;
      await this.disable(manager, tenantId, webhook, reason, health.failingSince);
    }
  }

  private async disable(manager: EntityManager, tenantId: TenantId, webhook: WebhookEntity, reason: string, failingSince: Date | null): Promise<void> {
    await this.webhooks.update(tenantId, webhook.id, { isActive: false, disabledReason: reason, disabledAt: new Date() }, manager);
    await writeOutboxEvent(manager, {
      tenantId,
      type: 'webhook_disabled',
      aggregateId: webhook.id,
      data: { webhook_id: webhook.id, reason, failing_since: failingSince?.toISOString() ?? null },
    });
    this.logger.warn({ tenantId, webhookId: webhook.id, reason }, 'webhook disabled');
  }
}

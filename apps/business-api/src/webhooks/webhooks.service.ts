import { randomUUID } from 'node:crypto';
import { BadRequestException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG } from '@chatbot/platform';
import type { TenantId } from '@chatbot/tenant-auth';
import {
  DEFAULT_RETRY_CONFIG,
  DeliveryLogRepository,
  type RetryConfig,
  type WebhookEntity,
  WebhookDeliveryService,
  WebhookMessageRepository,
  WebhookRepository,
  WebhookSecrets,
  deliveryJob,
  generateWebhookSecret,
  sampleEvent,
} from '@chatbot/webhooks';
import type { BusinessApiConfig } from '../config/business-api.config';
import type { CreateWebhookDto } from './dto/create-webhook.dto';
import type { UpdateWebhookDto } from './dto/update-webhook.dto';
import type { CreatedWebhookDto, DeliveryLogDto, QueuedDto, RotatedSecretDto, TestResultDto, WebhookDto } from './dto/webhook-responses.dto';
import type { ListWebhooksQueryDto } from './dto/webhook-queries.dto';
import { type FieldProblem, headerProblems, normalizeTemplate, throwIfProblems, webhookUrlProblems } from './webhook-input';
import { toLogDto, toWebhookDto } from './webhook.mapper';
import { WebhookDeliveryQueue } from './webhook-delivery.queue';

const RECOVER_LIMIT = 10_000;

@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly messages: WebhookMessageRepository,
    private readonly logs: DeliveryLogRepository,
    private readonly secrets: WebhookSecrets,
    private readonly delivery: WebhookDeliveryService,
    private readonly queue: WebhookDeliveryQueue,
    @Inject(APP_CONFIG) private readonly config: BusinessApiConfig,
  ) {}

  async list(tenantId: TenantId, query: ListWebhooksQueryDto): Promise<WebhookDto[]> {
    const rows = await this.webhooks.list(tenantId, {
      ...(query.event_type ? { eventType: query.event_type } : {}),
      ...(query.is_active !== undefined ? { isActive: query.is_active } : {}),
    });
    return rows.map((row) => toWebhookDto(row, this.secrets.headers(row)));
  }

  async get(tenantId: TenantId, id: string): Promise<WebhookDto> {
    const webhook = await this.require(tenantId, id);
    return toWebhookDto(webhook, this.secrets.headers(webhook));
  }

  async create(tenantId: TenantId, input: CreateWebhookDto): Promise<CreatedWebhookDto> {
    const { headers, template } = this.validate(input);
    const id = randomUUID();
    const secret = generateWebhookSecret();
    const webhook = await this.webhooks.create(tenantId, {
      id,
      eventType: input.event_type,
      webhookUrl: input.webhook_url,
      httpMethod: input.http_method ?? 'POST',
      headersEncrypted: this.secrets.sealHeaders(tenantId, id, headers ?? null),
      payloadTemplate: template ?? null,
      retryConfig: this.retryConfig(input.retry_config),
      isActive: input.is_active ?? true,
      secretEncrypted: this.secrets.sealSecret(tenantId, id, secret),
    });
    return { ...toWebhookDto(webhook, headers ?? {}, true), secret };
  }

  async update(tenantId: TenantId, id: string, input: UpdateWebhookDto): Promise<WebhookDto> {
    const existing = await this.require(tenantId, id);
    const { headers, template } = this.validate(input);
    const patch: Partial<WebhookEntity> = {};
    if (input.event_type !== undefined) patch.eventType = input.event_type;
    if (input.webhook_url !== undefined) patch.webhookUrl = input.webhook_url;
    if (input.http_method !== undefined) patch.httpMethod = input.http_method;
    if (headers !== undefined) patch.headersEncrypted = this.secrets.sealHeaders(tenantId, id, headers);
    if (template !== undefined) patch.payloadTemplate = template;
    if (input.retry_config !== undefined) patch.retryConfig = this.retryConfig(input.retry_config);
    if (input.is_active !== undefined) {
      patch.isActive = input.is_active;
      if (input.is_active && !existing.isActive) {
        // Re-enabling starts a fresh health record.
        Object.assign(patch, { disabledReason: null, disabledAt: null, failingSince: null, consecutiveFailures: 0 });
      }
    }
    const updated = await this.webhooks.update(tenantId, id, patch);
    if (!updated) throw this.notFound(id);
    return toWebhookDto(updated, this.secrets.headers(updated));
  }

  async remove(tenantId: TenantId, id: string): Promise<{ success: boolean; message: string }> {
    if (!(await this.webhooks.delete(tenantId, id))) throw this.notFound(id);
    // Pending jobs find no webhook and stop. Its messages and delivery logs are deleted by the worker within minutes
    // (a tombstone is left in the same statement; the request's cost does not depend on how much history there is).
    return { success: true, message: `Webhook ${id} deleted` };
  }

  async test(tenantId: TenantId, id: string): Promise<TestResultDto> {
    const webhook = await this.require(tenantId, id);
    const result = await this.delivery.attempt({
      webhook,
      event: sampleEvent(tenantId, webhook.eventType),
      attempt: 1,
      maxAttempts: 1,
      messageId: null,
      isTest: true,
    });
    const success = result.outcome === 'delivered';
    return {
      success,
      status_code: result.statusCode,
      message: success ? `Test event delivered (HTTP ${result.statusCode})` : `Test delivery failed: ${result.error ?? 'unknown error'}`,
    };
  }

  async listLogs(tenantId: TenantId, id: string, limit: number, offset: number): Promise<DeliveryLogDto[]> {
    await this.require(tenantId, id);
    return (await this.logs.list(tenantId, id, limit, offset)).map(toLogDto);
  }

  async rotateSecret(tenantId: TenantId, id: string): Promise<RotatedSecretDto> {
    const webhook = await this.require(tenantId, id);
    const secret = generateWebhookSecret();
    const expiresAt = new Date(Date.now() + this.config.WEBHOOK_SECRET_ROTATION_OVERLAP_MS);
    await this.webhooks.update(tenantId, id, {
      secretEncrypted: this.secrets.sealSecret(tenantId, id, secret),
      previousSecretEncrypted: webhook.secretEncrypted,
      previousSecretExpiresAt: expiresAt,
    });
    return { id, secret, previous_secret_expires_at: expiresAt.toISOString() };
  }

  async redeliver(tenantId: TenantId, id: string, logId: string): Promise<QueuedDto> {
    const webhook = await this.require(tenantId, id);
    const log = await this.logs.find(tenantId, id, logId);
    if (!log) throw new NotFoundException(`Delivery log ${logId} not found`);
    if (log.isTest) throw new BadRequestException('Test deliveries are not redelivered; send a new test instead');
    const found = await this.messages.find(tenantId, id, log.eventId);
    if (!found) throw new NotFoundException(`The event of delivery log ${logId} is no longer kept`);
    await this.messages.reopen(tenantId, [found.message.id]);
    await this.enqueue([deliveryJob(webhook, log.eventId, randomUUID())]);
    return { success: true, message: `Event ${log.eventId} queued for redelivery`, queued: 1 };
  }

  async recover(tenantId: TenantId, id: string, since: Date): Promise<QueuedDto> {
    const webhook = await this.require(tenantId, id);
    if (since.getTime() > Date.now()) throw new BadRequestException('since must not be in the future');
    const failed = await this.messages.failedSince(tenantId, id, since, RECOVER_LIMIT);
    await this.messages.reopen(
      tenantId,
      failed.map((m) => m.id),
    );
    const nonce = randomUUID();
    await this.enqueue(failed.map((m) => deliveryJob(webhook, m.eventId, nonce)));
    return { success: true, message: `${failed.length} failed event(s) since ${since.toISOString()} queued again`, queued: failed.length };
  }

  private async enqueue(jobs: Parameters<WebhookDeliveryQueue['addBulk']>[0]): Promise<void> {
    try {
      await this.queue.addBulk(jobs);
    } catch {
      throw new ServiceUnavailableException('The delivery queue is unavailable; try again shortly');
    }
  }

  private async require(tenantId: TenantId, id: string): Promise<WebhookEntity> {
    const webhook = await this.webhooks.find(tenantId, id);
    if (!webhook) throw this.notFound(id);
    return webhook;
  }

  private notFound(id: string): NotFoundException {
    return new NotFoundException(`Webhook ${id} not found`);
  }

  private retryConfig(input: { max_retries: number; backoff: RetryConfig['backoff']; initial_delay_ms?: number } | undefined): RetryConfig {
    if (!input) return DEFAULT_RETRY_CONFIG;
    return {
      max_retries: input.max_retries,
      backoff: input.backoff,
      ...(input.initial_delay_ms !== undefined ? { initial_delay_ms: input.initial_delay_ms } : {}),
    };
  }

  /** Field rules class-validator cannot express; all problems reported at once. */
  private validate(input: UpdateWebhookDto): { headers: Record<string, string> | undefined; template: string | null | undefined } {
    const problems: FieldProblem[] = [];
    if (input.webhook_url !== undefined) {
      problems.push({ field: 'webhook_url', problems: webhookUrlProblems(input.webhook_url, this.config.NODE_ENV !== 'production') });
    }
    if (input.headers !== undefined) problems.push({ field: 'headers', problems: headerProblems(input.headers) });
    let template: string | null | undefined;
    if ('payload_template' in input) {
      const normalized = normalizeTemplate(input.payload_template);
      problems.push({ field: 'payload_template', problems: normalized.problems });
      template = normalized.value;
    }
    throwIfProblems(problems);
    return { headers: input.headers as Record<string, string> | undefined, template };
  }
}

import type { DeliveryLogEntity, WebhookEntity } from '@chatbot/webhooks';
import type { DeliveryLogDto, WebhookDto } from './dto/webhook-responses.dto';

export function maskHeaderValue(value: string): string {
  return value.length <= 4 ? '****' : `${value.slice(0, 2)}****${value.slice(-2)}`;
}

export function toWebhookDto(webhook: WebhookEntity, headers: Record<string, string>, reveal = false): WebhookDto {
  return {
    id: webhook.id,
    event_type: webhook.eventType,
    webhook_url: webhook.webhookUrl,
    http_method: webhook.httpMethod,
    headers: reveal ? headers : Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, maskHeaderValue(v)])),
    payload_template: webhook.payloadTemplate,
    retry_config: webhook.retryConfig,
    is_active: webhook.isActive,
    disabled_reason: webhook.disabledReason,
    created_at: webhook.createdAt.toISOString(),
    updated_at: webhook.updatedAt.toISOString(),
  };
}

export function toLogDto(log: DeliveryLogEntity): DeliveryLogDto {
  return {
    id: log.id,
    event_type: log.eventType,
    response_status: log.responseStatus,
    error_message: log.errorMessage,
    retry_count: log.attempt - 1,
    created_at: log.createdAt.toISOString(),
    event_id: log.eventId,
    duration_ms: log.durationMs,
    response_body: log.responseBody,
    next_attempt_at: log.nextAttemptAt?.toISOString() ?? null,
    request_url: log.requestUrl,
    success: log.success,
    is_test: log.isTest,
  };
}

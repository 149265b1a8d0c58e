import { randomUUID } from 'node:crypto';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MicroBatcher } from './batching/micro-batcher';
import { directQuery } from './batching/pg-direct';

/** A successful delivery attempt: its log row, the message it completes, and the webhook's health it restores. */
export interface SuccessfulAttempt {
  tenantId: string;
  webhookId: string;
  messageId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  requestUrl: string;
  responseStatus: number;
  responseBody: string | null;
  durationMs: number;
}

const MAX_BATCH = 200;

/**
 * Group commit for the common case. Concurrent successful deliveries are written together, one statement per batch
 * (log rows inserted, messages marked delivered, and the failure count of any webhook that was failing reset, read in
 * that statement rather than from the row the attempt started with), and each caller resumes only once its batch is
 * committed, so a job never completes before its log row exists. A failed batch is retried row by row, so one bad row
 * fails only its own job. A webhook deleted while its delivery was in flight still gets the attempt's log row; the
 * worker's purge of deleted webhooks removes it. Failures take the transactional path in the delivery service.
 */
@Injectable()
export class DeliveryResultWriter implements OnApplicationShutdown {
  private readonly batcher: MicroBatcher<SuccessfulAttempt & { id: string }, void>;

  constructor(private readonly dataSource: DataSource) {
    this.batcher = new MicroBatcher({ run: (rows) => this.insert(rows), maxBatch: MAX_BATCH, maxInFlight: 2, isolateFailures: true });
  }

  /** Resolves with the log id once the row is committed. */
  async write(attempt: SuccessfulAttempt): Promise<string> {
    const id = randomUUID();
    await this.batcher.submit({ ...attempt, id });
    return id;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.batcher.drained();
  }

  private async insert(a: (SuccessfulAttempt & { id: string })[]): Promise<void[]> {
    await directQuery(
      this.dataSource,
      `WITH logs AS (
         INSERT INTO business.webhook_delivery_logs
           (id, tenant_id, webhook_id, message_id, event_id, event_type, attempt, is_test, request_url,
            response_status, response_body, error_message, duration_ms, success, next_attempt_at)
         SELECT u.id, u.tenant_id, u.webhook_id, u.message_id, u.event_id, u.event_type, u.attempt, false, u.request_url,
                u.response_status, u.response_body, NULL, u.duration_ms, true, NULL
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::int[], $8::text[],
                       $9::int[], $10::text[], $11::int[])
                AS u(id, tenant_id, webhook_id, message_id, event_id, event_type, attempt, request_url,
                     response_status, response_body, duration_ms)
       ), healed AS (
         UPDATE business.webhooks w SET consecutive_failures = 0, failing_since = NULL
          WHERE w.id = ANY($3::uuid[]) AND (w.consecutive_failures <> 0 OR w.failing_since IS NOT NULL)
       )
       UPDATE business.webhook_messages m
          SET status = 'delivered', attempts = u.attempt, last_error = NULL, next_attempt_at = NULL,
              last_attempt_at = now(), delivered_at = now()
         FROM unnest($4::uuid[], $7::int[]) AS u(id, attempt)
        WHERE m.id = u.id`,
      [
        a.map((x) => x.id),
        a.map((x) => x.tenantId),
        a.map((x) => x.webhookId),
        a.map((x) => x.messageId),
        a.map((x) => x.eventId),
        a.map((x) => x.eventType),
        a.map((x) => x.attempt),
        a.map((x) => x.requestUrl),
        a.map((x) => x.responseStatus),
        a.map((x) => x.responseBody),
        a.map((x) => x.durationMs),
      ],
    );
    return a.map(() => undefined);
  }
}

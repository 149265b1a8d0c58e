import { randomUUID } from 'node:crypto';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A successful delivery attempt of a healthy webhook: its log row and the message it completes. */
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
 * (log rows inserted, messages marked delivered), and each caller resumes only once its batch is committed, so a job
 * never completes before its log row exists. Failures take the transactional path in the delivery service.
 */
@Injectable()
export class DeliveryResultWriter implements OnApplicationShutdown {
  private pending: { attempt: SuccessfulAttempt; id: string; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /** Resolves with the log id once the row is committed. */
  write(attempt: SuccessfulAttempt): Promise<string> {
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      this.pending.push({ attempt, id, resolve: () => resolve(id), reject });
      if (this.pending.length >= MAX_BATCH) this.flushSoon(true);
      else this.flushSoon(false);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
    await this.inFlight;
  }

  private flushSoon(now: boolean): void {
    if (now) {
      void this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // One macrotask: every delivery that finished in this turn of the event loop joins the batch.
    setImmediate(() => void this.flush());
  }

  private flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return this.inFlight;
    this.pending = [];
    const a = batch.map((b) => b.attempt);
    const write = this.dataSource
      .query(
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
         )
         UPDATE business.webhook_messages m
            SET status = 'delivered', attempts = u.attempt, last_error = NULL, next_attempt_at = NULL,
                last_attempt_at = now(), delivered_at = now()
           FROM unnest($4::uuid[], $7::int[]) AS u(id, attempt)
          WHERE m.id = u.id`,
        [
          batch.map((b) => b.id),
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
      )
      .then(
        () => batch.forEach((b) => b.resolve()),
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      );
    this.inFlight = this.inFlight.then(() => write);
    return write;
  }
}

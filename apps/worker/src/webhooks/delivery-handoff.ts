import { Injectable } from '@nestjs/common';
import type { DeliveryContext } from '@chatbot/webhooks';

const TTL_MS = 2000;
const LIMIT = 20_000;

/**
 * What fan-out just read and wrote for a delivery job (the webhook row, the new pending message, the event), handed to
 * the delivery processor of the same process so a first attempt need not read it back from Postgres. Only a fresh
 * first attempt uses it, once (take() removes it), within TTL_MS of the fan-out; retries, redeliveries, jobs picked by
 * another worker process and anything older read the database as before. The webhook row is as current as a database
 * read made that long before the send, which every delivery already tolerates (the send itself takes time too).
 */
@Injectable()
export class DeliveryHandoff {
  /** Insertion order is age order: expired entries are always at the front. */
  private readonly entries = new Map<string, { context: DeliveryContext; at: number }>();

  put(jobId: string, context: DeliveryContext, now = Date.now()): void {
    this.evictExpired(now);
    if (this.entries.size >= LIMIT) return;
    this.entries.set(jobId, { context, at: now });
  }

  /** The handed-over context of a job's first attempt, at most once; undefined when there is none (read the database). */
  take(jobId: string, now = Date.now()): DeliveryContext | undefined {
    const entry = this.entries.get(jobId);
    if (!entry) return undefined;
    this.entries.delete(jobId);
    return now - entry.at <= TTL_MS ? entry.context : undefined;
  }

  forget(jobId: string): void {
    this.entries.delete(jobId);
  }

  get size(): number {
    return this.entries.size;
  }

  private evictExpired(now: number): void {
    for (const [jobId, entry] of this.entries) {
      if (now - entry.at <= TTL_MS) return;
      this.entries.delete(jobId);
    }
  }
}

import { type DeliveryContext, WEBHOOK_CHANGED_CHANNEL } from '@chatbot/webhooks';
import { type NotificationFeed, PgListener } from '../notifications/pg-listener';

/** A handed-over webhook row is always trusted this long after it was read (as every delivery used to be). */
export const FRESH_MS = 2000;
/** ...and up to this long while change notifications are known to arrive (see `take`). */
export const KEPT_MS = 15_000;
/** At most this many contexts are held (each holds its event); beyond it, deliveries read the database. */
export const HANDOFF_LIMIT = 20_000;

/** What `take` found: `used` hands the context over; anything else means "read the database". */
export type HandoffResult = 'used' | 'missing' | 'changed' | 'expired';

interface Entry {
  context: DeliveryContext;
  /** When fan-out sent the statement that read the webhook row (performance.now()). */
  readAt: number;
}

/**
 * What fan-out just read and wrote for a delivery job (the webhook row, the new pending message, the event), handed to
 * the delivery processor of the same process so a first attempt need not read it back from Postgres. Only a fresh
 * first attempt uses it, once (take() removes it); retries, redeliveries, jobs picked by another worker process and
 * anything stale read the database as before.
 *
 * Stale means the webhook row may have changed since fan-out read it:
 * - a `webhook_changed` notification for its webhook arrived after the read began (a trigger raises one for every
 *   update of its delivery settings and every delete): the change is read from the database at once;
 * - it is older than FRESH_MS and the notification feed cannot vouch for the time since: the feed must have been
 *   listening since before the read, and must have confirmed, within the last FRESH_MS, that every change committed
 *   up to then has arrived. So a delivery never misses a change committed more than FRESH_MS before it, as when every
 *   row was re-read after 2 s, and usually misses none: notifications take milliseconds;
 * - it is older than KEPT_MS (bounds the memory of entries whose jobs another worker took).
 * A delivery behind a backlog (saturation, a burst) thus keeps its context for as long as it waits, up to KEPT_MS.
 */
export class DeliveryHandoff {
  /** Insertion order is about age order (fan-out batches overlap a little): eviction looks at the front. */
  private readonly entries = new Map<string, Entry>();
  /** Webhook id → when its last change notification arrived. */
  private readonly changedAt = new Map<string, number>();

  constructor(private readonly feed: NotificationFeed) {}

  /** Nest's constructor: the feed is the worker's LISTEN connection, subscribed to webhook changes. */
  static fromListener(listener: PgListener): DeliveryHandoff {
    const handoff = new DeliveryHandoff(listener);
    listener.subscribe(WEBHOOK_CHANGED_CHANNEL, (webhookId) => handoff.changed(webhookId));
    return handoff;
  }

  /** `readAt`: when the statement that read the webhook row was sent (before it, not after). */
  put(jobId: string, context: DeliveryContext, readAt: number, now = performance.now()): void {
    this.evictExpired(now);
    if (this.entries.size >= HANDOFF_LIMIT) return;
    this.entries.set(jobId, { context, readAt });
  }

  /** The handed-over context of a job's first attempt, at most once, if it is not stale (see the class comment). */
  take(jobId: string, now = performance.now()): { result: HandoffResult; context?: DeliveryContext } {
    const entry = this.entries.get(jobId);
    if (!entry) return { result: 'missing' };
    this.entries.delete(jobId);
    const result = this.check(entry.context.webhook.id, entry.readAt, now);
    return result === 'used' ? { result, context: entry.context } : { result };
  }

  /**
   * Whether a webhook row read at `readAt` may still be used (see the class comment): 'used' if so, else why not. For
   * contexts that fan-out hands over directly (eager first attempts) as for those held here.
   */
  check(webhookId: string, readAt: number, now = performance.now()): Exclude<HandoffResult, 'missing'> {
    const changed = this.changedAt.get(webhookId);
    if (changed !== undefined && changed >= readAt) return 'changed';
    const age = now - readAt;
    if (age <= FRESH_MS) return 'used';
    const { listeningSince, confirmedUpTo } = this.feed;
    const vouched = listeningSince !== null && listeningSince <= readAt && confirmedUpTo !== null && now - confirmedUpTo <= FRESH_MS;
    return age <= KEPT_MS && vouched ? 'used' : 'expired';
  }

  /** A change notification: contexts of this webhook read before now are stale. */
  changed(webhookId: string, now = performance.now()): void {
    this.changedAt.delete(webhookId); // re-inserted at the back: the map stays in arrival order
    this.changedAt.set(webhookId, now);
    for (const [id, at] of this.changedAt) {
      if (now - at <= KEPT_MS) break;
      this.changedAt.delete(id);
    }
  }

  forget(jobId: string): void {
    this.entries.delete(jobId);
  }

  get size(): number {
    return this.entries.size;
  }

  private evictExpired(now: number): void {
    for (const [jobId, entry] of this.entries) {
      if (now - entry.readAt <= KEPT_MS) return;
      this.entries.delete(jobId);
    }
  }
}

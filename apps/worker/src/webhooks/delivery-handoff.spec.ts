import type { DeliveryContext } from '@chatbot/webhooks';
import { DeliveryHandoff, FRESH_MS, HANDOFF_LIMIT, KEPT_MS } from './delivery-handoff';

const context = (messageId: string, webhookId = 'w1') => ({ messageId, webhook: { id: webhookId } }) as unknown as DeliveryContext;

/** The feed as the LISTEN connection would report it; tests move its clock by hand. */
class Feed {
  listeningSince: number | null = 0;
  confirmedUpTo: number | null = 0;
}

describe('DeliveryHandoff', () => {
  it('hands a context over once', () => {
    const handoff = new DeliveryHandoff(new Feed());
    handoff.put('e1.w1', context('m1'), 1000, 1000);
    expect(handoff.take('e1.w1', 1500)).toEqual({ result: 'used', context: context('m1') });
    expect(handoff.take('e1.w1', 1500)).toEqual({ result: 'missing' });
    expect(handoff.take('unknown', 1000)).toEqual({ result: 'missing' });
  });

  it('a change notified after the read began makes the context stale, however young; one notified before does not', () => {
    const handoff = new DeliveryHandoff(new Feed());
    handoff.changed('w1', 900); // before the read: that row was read with the change in it
    handoff.put('e1.w1', context('m1', 'w1'), 1000, 1010);
    handoff.put('e1.w2', context('m2', 'w2'), 1000, 1010);
    handoff.put('e2.w1', context('m3', 'w1'), 1000, 1010);
    expect(handoff.take('e2.w1', 1050).result).toBe('used');
    handoff.changed('w1', 1000); // the same instant as the read began counts as after it
    expect(handoff.take('e1.w1', 1020)).toEqual({ result: 'changed' });
    expect(handoff.take('e1.w2', 1020).result).toBe('used'); // another webhook
  });

  it('within FRESH_MS a context is used even with no notification feed (the old 2 s rule)', () => {
    const feed = new Feed();
    feed.listeningSince = null;
    feed.confirmedUpTo = null;
    const handoff = new DeliveryHandoff(feed);
    handoff.put('a', context('m1'), 1000, 1000);
    handoff.put('b', context('m2'), 1000, 1000);
    expect(handoff.take('a', 1000 + FRESH_MS).result).toBe('used');
    expect(handoff.take('b', 1001 + FRESH_MS)).toEqual({ result: 'expired' });
  });

  it('beyond FRESH_MS only while the feed vouches for the whole time since the read, and never beyond KEPT_MS', () => {
    const feed = new Feed();
    const handoff = new DeliveryHandoff(feed);
    for (const id of ['a', 'b', 'c', 'd', 'e']) handoff.put(id, context(id), 1000, 1000);
    const later = 1000 + 5 * FRESH_MS;

    feed.confirmedUpTo = later - FRESH_MS; // every change committed up to FRESH_MS ago has arrived
    expect(handoff.take('a', later).result).toBe('used');

    feed.confirmedUpTo = later - FRESH_MS - 1; // the last heartbeat is too old: a change may be on its way
    expect(handoff.take('b', later)).toEqual({ result: 'expired' });

    feed.confirmedUpTo = later;
    feed.listeningSince = 1001; // the connection was replaced after the read: a change may have been missed meanwhile
    expect(handoff.take('c', later)).toEqual({ result: 'expired' });

    feed.listeningSince = null; // no connection now
    feed.confirmedUpTo = null;
    expect(handoff.take('d', later)).toEqual({ result: 'expired' });

    feed.listeningSince = 0;
    feed.confirmedUpTo = 1001 + KEPT_MS;
    expect(handoff.take('e', 1001 + KEPT_MS)).toEqual({ result: 'expired' });
  });

  it('drops entries older than KEPT_MS as new ones arrive, and holds at most HANDOFF_LIMIT', () => {
    const handoff = new DeliveryHandoff(new Feed());
    handoff.put('a', context('m1'), 0, 0);
    handoff.put('b', context('m2'), 100, 100);
    handoff.put('c', context('m3'), 100 + KEPT_MS, 100 + KEPT_MS);
    expect(handoff.size).toBe(2); // 'a' went, 'b' is exactly KEPT_MS old
    for (let i = 0; i < HANDOFF_LIMIT + 10; i++) handoff.put(`x${i}`, context(`x${i}`), 200 + KEPT_MS, 200 + KEPT_MS);
    expect(handoff.size).toBe(HANDOFF_LIMIT);
    expect(handoff.take(`x${HANDOFF_LIMIT + 5}`, 200 + KEPT_MS)).toEqual({ result: 'missing' }); // not kept: read the database
  });

  it('forgets change notifications once nothing read before them can still be used', () => {
    const handoff = new DeliveryHandoff(new Feed());
    handoff.changed('w1', 0);
    handoff.changed('w2', 10);
    handoff.changed('w1', 20); // moves w1 behind w2
    handoff.changed('w3', 11 + KEPT_MS); // w2 (10) is now older than KEPT_MS; w1 (20) is not
    handoff.put('e.w1', context('m', 'w1'), 15, 15 + KEPT_MS);
    expect(handoff.take('e.w1', 15 + KEPT_MS)).toEqual({ result: 'changed' });
    const internal = (handoff as unknown as { changedAt: Map<string, number> }).changedAt;
    expect([...internal.keys()]).toEqual(['w1', 'w3']);
  });
});

import type { DeliveryContext } from '@chatbot/webhooks';
import { DeliveryHandoff } from './delivery-handoff';

const context = (messageId: string) => ({ messageId }) as unknown as DeliveryContext;

describe('DeliveryHandoff', () => {
  it('hands a context over once, and only while fresh', () => {
    const handoff = new DeliveryHandoff();
    handoff.put('e1.w1', context('m1'), 1000);
    handoff.put('e2.w1', context('m2'), 1000);
    expect(handoff.take('e1.w1', 1500)?.messageId).toBe('m1');
    expect(handoff.take('e1.w1', 1500)).toBeUndefined(); // once
    expect(handoff.take('e2.w1', 5000)).toBeUndefined(); // too old: read the database
    expect(handoff.take('unknown', 1000)).toBeUndefined();
  });

  it('drops expired entries as new ones arrive', () => {
    const handoff = new DeliveryHandoff();
    handoff.put('a', context('m1'), 0);
    handoff.put('b', context('m2'), 100);
    handoff.put('c', context('m3'), 10_000);
    expect(handoff.size).toBe(1);
  });
});

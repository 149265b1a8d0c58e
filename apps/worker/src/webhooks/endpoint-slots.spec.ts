import { EndpointSlots } from './endpoint-slots';

describe('EndpointSlots', () => {
  it('caps each endpoint independently and frees slots on release', () => {
    const slots = new EndpointSlots(2);
    expect(slots.tryAcquire('https://slow.example')).toBe(true);
    expect(slots.tryAcquire('https://slow.example')).toBe(true);
    expect(slots.tryAcquire('https://slow.example')).toBe(false);
    expect(slots.tryAcquire('https://fast.example')).toBe(true);
    slots.release('https://slow.example');
    expect(slots.inUse('https://slow.example')).toBe(1);
    expect(slots.tryAcquire('https://slow.example')).toBe(true);
    slots.release('https://fast.example');
    expect(slots.inUse('https://fast.example')).toBe(0);
  });
});

/** Per-endpoint in-flight limit: one slow or dead endpoint can hold at most `cap` of the worker's delivery slots. */
export class EndpointSlots {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly cap: number) {}

  tryAcquire(endpoint: string): boolean {
    const current = this.inFlight.get(endpoint) ?? 0;
    if (current >= this.cap) return false;
    this.inFlight.set(endpoint, current + 1);
    return true;
  }

  release(endpoint: string): void {
    const current = this.inFlight.get(endpoint) ?? 0;
    if (current <= 1) this.inFlight.delete(endpoint);
    else this.inFlight.set(endpoint, current - 1);
  }

  inUse(endpoint: string): number {
    return this.inFlight.get(endpoint) ?? 0;
  }
}

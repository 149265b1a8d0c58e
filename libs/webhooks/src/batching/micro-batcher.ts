export interface MicroBatcherOptions<I, O> {
  /** Runs one batch; resolves with one result per item, in order. */
  run: (items: I[]) => Promise<O[]>;
  /** Items per batch at most. */
  maxBatch: number;
  /** Batches running at once at most; while they all run, new items wait and form the next batch. */
  maxInFlight: number;
  /**
   * When a batch of several items fails, each item is run again alone, so one bad item (a poison event, a
   * constraint violation) fails only its own caller. Off for batches whose failure is all-or-nothing anyway.
   */
  isolateFailures?: boolean;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces work of concurrently processed jobs into one statement (or one Redis round trip) per batch. Adaptive,
 * like a group commit: an item submitted while a batch slot is free runs after one macrotask (every item submitted in
 * the same turn of the event loop joins it), so a lone item waits no longer than that; items submitted while every
 * slot is busy wait for the next free slot and go together. Each caller resumes only when its batch has finished.
 */
export class MicroBatcher<I, O> {
  private pending: Pending<I, O>[] = [];
  private scheduled = false;
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly options: MicroBatcherOptions<I, O>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is pending or running (for graceful shutdown). */
  drained(): Promise<void> {
    if (this.pending.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.pending.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        if (this.pending.length > 0) this.schedule();
        else if (this.inFlight === 0) this.idle.splice(0).forEach((resolve) => resolve());
      });
    }
  }

  private async runBatch(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await this.options.run(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      if (!this.options.isolateFailures || batch.length === 1) {
        batch.forEach((p) => p.reject(err));
        return;
      }
      await Promise.all(
        batch.map((p) =>
          this.options.run([p.item]).then(
            (results) => p.resolve(results[0]!),
            (itemErr: unknown) => p.reject(itemErr),
          ),
        ),
      );
    }
  }
}

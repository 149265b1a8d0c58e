import { Worker } from 'node:worker_threads';

/**
 * The embedded eSpeak NG (npm `espeak-ng`, WebAssembly) in worker threads: each run instantiates the module (it is a
 * CLI compiled with Emscripten, `main` runs once per instance), reads the text from its in-memory file system and
 * writes a WAV file there (16-bit mono, 22.05 kHz). Worker threads keep the ~0.2 s of CPU per sentence off the event
 * loop, and load the ES module with Node's own loader.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ESpeakNg = require(workerData.modulePath).default;
parentPort.on('message', async (job) => {
  try {
    const instance = await ESpeakNg({
      arguments: ['-b', '1', '-v', job.voice, '-f', '/in.txt', '-w', '/out.wav'],
      preRun: [(m) => m.FS.writeFile('/in.txt', job.text)],
      print: () => {},
      printErr: () => {},
    });
    const wav = instance.FS.readFile('/out.wav');
    const out = wav.buffer.slice(wav.byteOffset, wav.byteOffset + wav.byteLength);
    parentPort.postMessage({ id: job.id, ok: true, wav: out }, [out]);
  } catch (err) {
    parentPort.postMessage({ id: job.id, ok: false, error: String((err && err.message) || err) });
  }
});
`;

interface Job {
  id: number;
  text: string;
  voice: string;
  resolve: (wav: Buffer) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

type WorkerReply = { id: number; ok: true; wav: ArrayBuffer } | { id: number; ok: false; error: string };

export class EspeakTimeoutError extends Error {
  override name = 'EspeakTimeoutError';
}

export class EspeakSynthesizer {
  private readonly modulePath = require.resolve('espeak-ng');
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Completed eSpeak runs (tests and metrics read it). */
  runs = 0;

  constructor(
    private readonly workers: number,
    private readonly timeoutMs: number,
  ) {}

  /** A WAV file of `text` spoken with `voice` (e.g. `en-us+f3`). */
  synthesize(text: string, voice: string): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('eSpeak synthesizer is closed'));
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, text, voice, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('eSpeak synthesizer closed'));
    await Promise.all(this.slots.splice(0).map((slot) => this.stop(slot, new Error('eSpeak synthesizer closed'))));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot && this.slots.length < this.workers) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.timer = setTimeout(() => {
        void this.stop(slot, new EspeakTimeoutError(`eSpeak NG did not finish within ${this.timeoutMs} ms`)).then(() => this.pump());
      }, this.timeoutMs);
      slot.worker.postMessage({ id: job.id, text: job.text, voice: job.voice });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath: this.modulePath } });
    const slot: Slot = { worker, job: null, timer: null };
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const job = slot.job;
      if (!job || job.id !== reply.id) return;
      this.finish(slot);
      if (reply.ok) {
        this.runs++;
        job.resolve(Buffer.from(reply.wav));
      } else {
        job.reject(new Error(`eSpeak NG failed: ${reply.error}`));
      }
      this.pump();
    });
    worker.on('error', (err: Error) => {
      void this.stop(slot, err).then(() => this.pump());
    });
    worker.on('exit', () => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      if (slot.job) {
        const job = slot.job;
        this.finish(slot);
        job.reject(new Error('eSpeak NG worker exited'));
      }
      this.pump();
    });
    this.slots.push(slot);
    return slot;
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
  }

  /** Terminates a worker (hung, crashed or closing) and fails its job; a fresh worker is spawned on demand. */
  private async stop(slot: Slot, reason: Error): Promise<void> {
    const job = slot.job;
    this.finish(slot);
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    job?.reject(reason);
    await slot.worker.terminate().catch(() => undefined);
  }
}

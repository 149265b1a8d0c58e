import { Worker } from 'node:worker_threads';

/**
 * The code of the extraction thread. It runs outside the caller's module system (unpdf loads its bundled pdf.js with a
 * dynamic `import()`, which a CommonJS host such as a test runner may not allow), and off the event loop: a big or
 * hostile PDF costs this thread, and is ended at the deadline.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { extractText, getDocumentProxy } = require(workerData.unpdfPath);
  const pdf = await getDocumentProxy(new Uint8Array(workerData.bytes), { isEvalSupported: false, useSystemFonts: false, verbosity: 0 });
  let title = null;
  try {
    const meta = await pdf.getMetadata();
    const t = meta && meta.info && meta.info.Title;
    if (typeof t === 'string' && t.trim()) title = t.trim();
  } catch {}
  const { totalPages, text } = await extractText(pdf, { mergePages: false });
  parentPort.postMessage({ ok: true, title, totalPages, pages: text });
})().catch((err) => parentPort.postMessage({ ok: false, message: String((err && err.message) || err) }));
`;

export interface ExtractedPdf {
  title: string | null;
  /** One string per page. */
  pages: string[];
}

type ThreadMessage = { ok: true; title: string | null; totalPages: number; pages: string[] } | { ok: false; message: string };

/** Thrown when a PDF cannot be read (damaged, encrypted, not a PDF) or takes too long. */
export class PdfExtractionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfExtractionError';
  }
}

/** Extracts the text of each page of a PDF with unpdf (pdf.js) in a worker thread, ended after `timeoutMs`. */
export function extractPdf(bytes: Uint8Array, timeoutMs: number): Promise<ExtractedPdf> {
  const copy = new Uint8Array(bytes); // transferred to the thread
  return new Promise((resolve, reject) => {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { bytes: copy.buffer, unpdfPath: require.resolve('unpdf') },
      transferList: [copy.buffer],
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(() => finish(() => reject(new PdfExtractionError(`PDF text extraction took longer than ${timeoutMs} ms`))), timeoutMs);
    worker.once('message', (msg: ThreadMessage) =>
      finish(() => (msg.ok ? resolve({ title: msg.title, pages: msg.pages }) : reject(new PdfExtractionError(`could not read the PDF: ${msg.message}`)))),
    );
    worker.once('error', (err: Error) => finish(() => reject(new PdfExtractionError(`could not read the PDF: ${err.message}`))));
    worker.once('exit', (code) => finish(() => reject(new PdfExtractionError(`PDF extraction stopped (exit code ${code})`))));
  });
}

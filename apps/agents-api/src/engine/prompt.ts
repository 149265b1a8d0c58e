import type { EngineAgent, EngineHistoryEntry, EnginePassage, EngineSource } from './chat-engine';

/** Upper bound on passage text put in a system instruction (characters), so that a huge chunk cannot blow the context. */
const MAX_PASSAGE_CHARS = 4000;
const MAX_CONTEXT_CHARS = 24000;

const LANGUAGE_NAMES: Record<string, string> = {
  en: 'English',
  es: 'Spanish',
  de: 'German',
  fr: 'French',
  it: 'Italian',
  pt: 'Portuguese',
  nl: 'Dutch',
  pl: 'Polish',
  sv: 'Swedish',
  da: 'Danish',
  no: 'Norwegian',
  fi: 'Finnish',
  cs: 'Czech',
  tr: 'Turkish',
  ru: 'Russian',
  uk: 'Ukrainian',
  ar: 'Arabic',
  he: 'Hebrew',
  hi: 'Hindi',
  ja: 'Japanese',
  ko: 'Korean',
  zh: 'Chinese',
};

/**
 * The system instruction of the remote engines: the agent's prompt, answering rules, then the retrieved passages,
 * numbered, each with its title, heading path and source.
 */
export function buildSystemInstruction(agent: EngineAgent, passages: readonly EnginePassage[]): string {
  const code = agent.lang.slice(0, 2).toLowerCase();
  const language = LANGUAGE_NAMES[code] ?? agent.lang;
  const parts: string[] = [];
  parts.push(agent.prompt?.trim() || `You are ${agent.title || 'an assistant'}, a helpful and friendly customer-support assistant.`);
  parts.push(
    [
      'Rules:',
      `- Reply in ${language} unless the user writes in another language; then reply in the user's language.`,
      '- Answer questions about the business, its products and policies only from the knowledge base passages below.',
      "- If the passages do not contain the answer, say plainly that you don't know; never invent facts, prices or links.",
      '- Keep replies short and conversational (a few sentences). Do not mention "passages" or their numbers.',
    ].join('\n'),
  );
  if (passages.length === 0) {
    parts.push('Knowledge base passages: none were found for this question.');
  } else {
    let budget = MAX_CONTEXT_CHARS;
    const numbered: string[] = [];
    passages.forEach((passage, i) => {
      if (budget <= 0) return;
      const heading = [passage.title, ...passage.headingPath].filter(Boolean).join(' › ');
      const text = passage.text.trim().slice(0, Math.min(MAX_PASSAGE_CHARS, budget));
      budget -= text.length;
      numbered.push(`[${i + 1}] ${heading} (source: ${passage.source})\n${text}`);
    });
    parts.push(`Knowledge base passages (best match first):\n\n${numbered.join('\n\n')}`);
  }
  return parts.join('\n\n');
}

/** History entries with consecutive turns of the same side merged (providers expect alternating roles). */
export function mergeHistory(history: readonly EngineHistoryEntry[]): EngineHistoryEntry[] {
  const out: EngineHistoryEntry[] = [];
  for (const entry of history) {
    const text = entry.text.trim();
    if (!text) continue;
    const last = out[out.length - 1];
    if (last && last.from === entry.from) last.text = `${last.text}\n${text}`;
    else out.push({ from: entry.from, text });
  }
  return out;
}

/** The passages a remote reply was grounded on (all the ones it was given, once each). */
export function passageSources(passages: readonly EnginePassage[]): EngineSource[] {
  const seen = new Set<string>();
  const out: EngineSource[] = [];
  for (const p of passages) {
    if (seen.has(p.chunkId)) continue;
    seen.add(p.chunkId);
    out.push({ documentId: p.documentId, chunkId: p.chunkId, title: p.title, source: p.source });
  }
  return out;
}

/** True for model ids served by the Gemini API (`gemini-2.5-flash`, `models/gemini-2.0-flash-001`). */
export function isGeminiModel(model: string | null | undefined): model is string {
  return !!model && /^(models\/)?gemini-[\w.-]+$/i.test(model.trim());
}

/**
 * The signal a remote call runs under: the caller's (client gone) and the engine's timeout, whichever fires first;
 * `timedOut()` tells afterwards which one it was.
 */
export function deadline(timeoutMs: number, callerSignal?: AbortSignal): { signal: AbortSignal; timedOut: () => boolean } {
  const timeout = AbortSignal.timeout(timeoutMs);
  return {
    signal: callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout,
    timedOut: () => timeout.aborted && !callerSignal?.aborted,
  };
}

import type { KbDocStatus } from './entities/kb-document.entity';

export const KB_STATUSES = ['empty', 'indexing', 'ready', 'failed'] as const;
/** The agent's `knowledgeBaseStatus` (what `kb_status_changed` carries and the widget config shows). */
export type KnowledgeBaseStatus = (typeof KB_STATUSES)[number];

export type KbStatusCounts = Record<KbDocStatus, number>;

/**
 * `empty`: no document. `indexing`: any document pending or processing. `ready`: otherwise, when at least one document
 * is ready (failed ones show in the per-status counts; the agent can still answer from the rest). `failed`: every
 * document failed.
 */
export function deriveKbStatus(counts: KbStatusCounts): KnowledgeBaseStatus {
  const total = counts.pending + counts.processing + counts.ready + counts.failed;
  if (total === 0) return 'empty';
  if (counts.pending + counts.processing > 0) return 'indexing';
  if (counts.ready > 0) return 'ready';
  return 'failed';
}

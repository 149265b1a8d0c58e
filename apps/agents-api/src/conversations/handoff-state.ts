import { ConflictException } from '@nestjs/common';
import type { HandoffState } from '@chatbot/events';

/**
 * The handoff state machine (TIXAE `chatState`):
 *
 *   ai-chatting ──request──▶ requested_chat ──assign──▶ human-chatting ──release──▶ ai-chatting
 *        │  └────────────── operator takes over ─────────────▲   │
 *        └──────────┬──────────────────┴────────────────────────┘
 *                   ▼
 *              ended_chat ──new session──▶ ai-chatting
 *
 * Staying in the same state is allowed (re-assigning an operator keeps `human-chatting`). Everything else is a 409.
 */
const ALLOWED: Record<HandoffState, readonly HandoffState[]> = {
  'ai-chatting': ['ai-chatting', 'requested_chat', 'human-chatting', 'ended_chat'],
  requested_chat: ['requested_chat', 'human-chatting', 'ai-chatting', 'ended_chat'],
  'human-chatting': ['human-chatting', 'ai-chatting', 'ended_chat'],
  ended_chat: ['ended_chat', 'ai-chatting'],
};

export function canTransition(from: HandoffState, to: HandoffState): boolean {
  return ALLOWED[from].includes(to);
}

/** Throws a 409 naming both states and what is allowed from `from`. */
export function assertTransition(from: HandoffState, to: HandoffState): void {
  if (!canTransition(from, to)) {
    const allowed = ALLOWED[from].filter((s) => s !== from).join(', ');
    throw new ConflictException(`Illegal chat state transition: ${from} → ${to} (from ${from} only ${allowed})`);
  }
}

import type { ConversationEntity } from './conversation.entity';
import type { ConversationTurnEntity } from './conversation-turn.entity';
import type { WireTurn } from './turn-wire';

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

/**
 * The TIXAE transcript metadata of a conversation: the free-form fields (name, email, phone, image, browser,
 * profilePic...) from `metadata`, and the maintained ones from columns (they win over anything stored).
 */
export function toTranscriptMetadata(c: ConversationEntity): Record<string, unknown> {
  const first = ms(c.firstMessageAt);
  const last = ms(c.lastMessageAt);
  return {
    ...c.metadata,
    convoId: c.id,
    userID: c.userId,
    origin: c.origin,
    messagesNum: c.messagesNum,
    interactionsNum: c.interactionsNum,
    sessionsNum: c.sessionsNum,
    timestamp: c.createdAt.getTime(),
    tags: c.tags,
    convoTimeSeconds: first !== null && last !== null ? Math.round((last - first) / 1000) : 0,
    firstMessageTS: first,
    lastMessageTS: last,
    chatState: c.state,
    chatAssignedTo: c.assignedClientId,
    lastModified: c.updatedAt.getTime(),
  };
}

export function toWireTurn(t: ConversationTurnEntity): WireTurn {
  return { from: t.sender, messages: t.messages, ts: t.ts.getTime() };
}

/** Fields of the transcript metadata that are maintained by the platform and cannot be patched. */
export const COMPUTED_METADATA_FIELDS = new Set([
  'convoId', 'userID', 'messagesNum', 'interactionsNum', 'sessionsNum', 'timestamp', 'convoTimeSeconds',
  'firstMessageTS', 'lastMessageTS', 'lastModified',
]);

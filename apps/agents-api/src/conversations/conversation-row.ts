import { ConversationEntity } from './conversation.entity';

/** A conversations row as Postgres returns it. */
export interface ConversationRow {
  id: string;
  tenant_id: string;
  agent_id: string;
  user_id: string;
  origin: ConversationEntity['origin'];
  state: ConversationEntity['state'];
  assigned_client_id: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  next_seq: number;
  messages_num: number;
  human_messages_num: number;
  bot_messages_num: number;
  interactions_num: number;
  sessions_num: number;
  first_message_at: Date | null;
  last_message_at: Date | null;
  ticket_id: string | null;
  handoff_requested_at: Date | null;
  first_human_response_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** Maps a raw `agents.conversations` row to the entity. */
export function conversationFromRow(r: ConversationRow): ConversationEntity {
  return Object.assign(new ConversationEntity(), {
    id: r.id,
    tenantId: r.tenant_id,
    agentId: r.agent_id,
    userId: r.user_id,
    origin: r.origin,
    state: r.state,
    assignedClientId: r.assigned_client_id,
    tags: r.tags,
    metadata: r.metadata,
    nextSeq: r.next_seq,
    messagesNum: r.messages_num,
    humanMessagesNum: r.human_messages_num,
    botMessagesNum: r.bot_messages_num,
    interactionsNum: r.interactions_num,
    sessionsNum: r.sessions_num,
    firstMessageAt: r.first_message_at,
    lastMessageAt: r.last_message_at,
    ticketId: r.ticket_id,
    handoffRequestedAt: r.handoff_requested_at,
    firstHumanResponseAt: r.first_human_response_at,
    endedAt: r.ended_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
}

/**
 * The event catalog: every event the platform raises, with its payload type. Webhook subscribers choose among the
 * seven public ones; internal events travel the same outbox but are never offered as webhook event types.
 */
export const PUBLIC_EVENT_TYPES = [
  'conversation_started',
  'message_sent',
  'intent_detected',
  'lead_captured',
  'ticket_created',
  'ticket_updated',
  'conversation_ended',
] as const;
export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

export const INTERNAL_EVENT_TYPES = ['agent_updated', 'agent_deleted', 'kb_status_changed', 'webhook_disabled'] as const;
export type InternalEventType = (typeof INTERNAL_EVENT_TYPES)[number];

export type EventType = PublicEventType | InternalEventType;

export type ConversationOrigin = 'web-chat' | 'whatsapp' | 'discord' | 'gb-chat';
export type HandoffState = 'requested_chat' | 'human-chatting' | 'ai-chatting' | 'ended_chat';

interface ConversationRef {
  agent_id: string;
  conversation_id: string;
  user_id: string;
}

export interface EventPayloads {
  conversation_started: ConversationRef & { origin: ConversationOrigin };
  message_sent: ConversationRef & {
    message_id: string;
    from: 'human' | 'bot' | 'operator';
    type: string;
    text: string | null;
  };
  intent_detected: ConversationRef & { intent: string; confidence: number | null; text: string | null };
  lead_captured: ConversationRef & { lead_id: string; email: string | null; phone: string | null; name: string | null };
  ticket_created: ConversationRef & { ticket_id: string; state: HandoffState; reason: string | null };
  ticket_updated: ConversationRef & {
    ticket_id: string;
    state: HandoffState;
    previous_state: HandoffState | null;
    assigned_to: string | null;
  };
  conversation_ended: ConversationRef & { reason: string | null; duration_seconds: number | null };
  /** The widget-facing projection of an agent (never secrets); widget-api builds its config from it. */
  agent_updated: { agent_id: string; version: number; agent: Record<string, unknown> };
  agent_deleted: { agent_id: string };
  kb_status_changed: { agent_id: string; status: 'empty' | 'indexing' | 'ready' | 'failed' };
  webhook_disabled: { webhook_id: string; reason: string; failing_since: string | null };
}

/** What travels on the wire (outbox row → queue → webhook body). */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  tenant_id: string;
  occurred_at: string;
  data: EventPayloads[T];
}

export function isPublicEventType(value: unknown): value is PublicEventType {
  return typeof value === 'string' && (PUBLIC_EVENT_TYPES as readonly string[]).includes(value);
}

export function isEventType(value: unknown): value is EventType {
  return isPublicEventType(value) || (typeof value === 'string' && (INTERNAL_EVENT_TYPES as readonly string[]).includes(value));
}

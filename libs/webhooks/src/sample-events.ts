import { randomUUID } from 'node:crypto';
import type { EventEnvelope, EventPayloads, PublicEventType } from '@chatbot/events';

const ref = { agent_id: 'agent_sample', conversation_id: 'conv_sample', user_id: 'user_sample' };

const SAMPLES: { [T in PublicEventType]: EventPayloads[T] } = {
  conversation_started: { ...ref, origin: 'web-chat' },
  message_sent: { ...ref, message_id: 'msg_sample', from: 'human', type: 'text', text: 'Hello! This is a test event.' },
  intent_detected: { ...ref, intent: 'talk_to_human', confidence: 0.93, text: 'Can I speak to a person?' },
  lead_captured: { ...ref, lead_id: 'lead_sample', email: 'jane@example.com', phone: '+15555550100', name: 'Jane Doe' },
  ticket_created: { ...ref, ticket_id: 'ticket_sample', state: 'requested_chat', reason: 'user asked for a human' },
  ticket_updated: { ...ref, ticket_id: 'ticket_sample', state: 'human-chatting', previous_state: 'requested_chat', assigned_to: 'client_sample' },
  conversation_ended: { ...ref, reason: 'user closed the chat', duration_seconds: 184 },
};

/** A realistic event of the given type for `POST /api/chatbot-webhooks/:id/test` (a fresh id each time). */
export function sampleEvent<T extends PublicEventType>(tenantId: string, type: T): EventEnvelope<T> {
  return { id: randomUUID(), type, tenant_id: tenantId, occurred_at: new Date().toISOString(), data: SAMPLES[type] as EventPayloads[T] };
}

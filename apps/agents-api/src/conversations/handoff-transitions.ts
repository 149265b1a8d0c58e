import { randomUUID } from 'node:crypto';
import { BadRequestException } from '@nestjs/common';
import type { HandoffState, NewEvent, PublicEventType } from '@chatbot/events';
import type { ConversationEntity } from './conversation.entity';
import { assertTransition } from './handoff-state';

export type ConversationEvent = { [T in PublicEventType]: NewEvent<T> }[PublicEventType];

/** The event reference fields every conversation event carries. */
export function conversationRef(c: ConversationEntity): { agent_id: string; conversation_id: string; user_id: string } {
  return { agent_id: c.agentId, conversation_id: c.id, user_id: c.userId };
}

/**
 * Moves a (locked) conversation to `to`, enforcing the state machine (409 on an illegal move), and answers the events
 * the move raises. `assignTo`: undefined keeps the current operator, null clears it, an id assigns that client (the
 * caller has checked it belongs to the tenant).
 */
export function applyHandoffTransition(
  c: ConversationEntity,
  to: HandoffState,
  assignTo: string | null | undefined,
  opts: { now: Date; reason?: string | null },
): ConversationEvent[] {
  const from = c.state;
  assertTransition(from, to);
  const events: ConversationEvent[] = [];
  const ref = conversationRef(c);
  const openTicket = (): string => {
    c.ticketId = randomUUID();
    c.handoffRequestedAt = opts.now;
    c.firstHumanResponseAt = null;
    events.push({
      tenantId: c.tenantId,
      type: 'ticket_created',
      aggregateId: c.id,
      data: { ...ref, ticket_id: c.ticketId, state: to, reason: opts.reason ?? null },
    });
    return c.ticketId;
  };
  const previousAssignee = c.assignedClientId;
  const ticketUpdated = (ticketId: string): void => {
    events.push({
      tenantId: c.tenantId,
      type: 'ticket_updated',
      aggregateId: c.id,
      data: { ...ref, ticket_id: ticketId, state: to, previous_state: from, assigned_to: c.assignedClientId },
    });
  };

  switch (to) {
    case 'requested_chat':
      if (from !== 'requested_chat') openTicket();
      if (assignTo !== undefined) c.assignedClientId = assignTo;
      break;
    case 'human-chatting': {
      const assignee = assignTo !== undefined ? assignTo : c.assignedClientId;
      if (!assignee) throw new BadRequestException('chatAssignedTo (a client id) is required to enter human-chatting');
      c.assignedClientId = assignee;
      // An operator taking over without a request opens the ticket now.
      const ticketId = from === 'ai-chatting' || !c.ticketId ? openTicket() : c.ticketId;
      if (from !== 'human-chatting' || previousAssignee !== assignee) ticketUpdated(ticketId);
      break;
    }
    case 'ai-chatting':
      if (from === 'ended_chat') {
        c.sessionsNum += 1;
        c.endedAt = null;
      }
      if ((from === 'requested_chat' || from === 'human-chatting') && c.ticketId) {
        c.assignedClientId = null;
        ticketUpdated(c.ticketId);
      } else if (assignTo !== undefined) {
        c.assignedClientId = assignTo;
      }
      break;
    case 'ended_chat':
      if (from !== 'ended_chat') {
        c.endedAt = opts.now;
        const first = c.firstMessageAt?.getTime();
        const last = c.lastMessageAt?.getTime();
        events.push({
          tenantId: c.tenantId,
          type: 'conversation_ended',
          aggregateId: c.id,
          data: { ...ref, reason: opts.reason ?? null, duration_seconds: first !== undefined && last !== undefined ? Math.round((last - first) / 1000) : null },
        });
        if ((from === 'requested_chat' || from === 'human-chatting') && c.ticketId) ticketUpdated(c.ticketId);
      }
      break;
  }
  c.state = to;
  return events;
}

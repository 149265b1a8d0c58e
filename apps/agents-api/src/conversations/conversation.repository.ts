import { Injectable } from '@nestjs/common';
import type { ConversationOrigin } from '@chatbot/events';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager } from 'typeorm';
import { ConversationEntity } from './conversation.entity';
import { type ConversationRow, conversationFromRow } from './conversation-row';
import { ConversationTurnEntity } from './conversation-turn.entity';
import type { TurnSender, WireMessage, WireTurn } from './turn-wire';

export interface NewTurn {
  sender: TurnSender;
  messages: WireMessage[];
  ts: Date;
  operatorId?: string | null;
}

/**
 * Conversations and turns. Writers lock the conversation row (`lockForWrite`) for the length of a short transaction,
 * allocate turn numbers from `next_seq` under that lock, and update the counters in the same statement as the
 * allocation: concurrent interacts on one conversation serialise and never lose a turn.
 */
@Injectable()
export class ConversationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The conversation of (agent, user), created if missing, locked until the transaction ends, with its turns so far
   * (wire shape) — in one statement: the no-op ON CONFLICT update takes the row lock of an existing row, and
   * `xmax = 0` tells a fresh insert. The turns subquery reads the statement's snapshot, which predates a lock wait:
   * when a concurrent writer committed turns meanwhile, fewer turns than `next_seq` come back and they are read again.
   */
  async lockOrCreate(
    manager: EntityManager,
    key: { tenantId: TenantId; agentId: string; userId: string },
    origin: ConversationOrigin,
  ): Promise<{ conversation: ConversationEntity; created: boolean; turns: WireTurn[] }> {
    const rows = await manager.query<(ConversationRow & { created: boolean; turns: WireTurn[] })[]>(
      `WITH c AS (
         INSERT INTO agents.conversations AS c (tenant_id, agent_id, user_id, origin)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (agent_id, user_id) DO UPDATE SET user_id = excluded.user_id
         WHERE c.tenant_id = excluded.tenant_id
         RETURNING c.*, (c.xmax = 0) AS created
       )
       SELECT c.*,
              (SELECT coalesce(json_agg(json_build_object('from', t.sender, 'messages', t.messages,
                                                          'ts', floor(extract(epoch FROM t.ts) * 1000)) ORDER BY t.seq), '[]')
               FROM agents.conversation_turns t WHERE t.conversation_id = c.id) AS turns
       FROM c`,
      [key.tenantId, key.agentId, key.userId, origin],
    );
    const row = rows[0];
    if (!row) throw new Error(`conversation of ${key.userId} belongs to another tenant`); // agent ids are tenant-scoped
    const conversation = conversationFromRow(row);
    const turns = row.turns.length === conversation.nextSeq ? row.turns : await this.wireTurns(conversation.id, manager);
    return { conversation, created: row.created, turns };
  }

  /** Locks an existing conversation; null when there is none. */
  lock(manager: EntityManager, key: { tenantId: TenantId; agentId: string; userId: string }): Promise<ConversationEntity | null> {
    return manager
      .getRepository(ConversationEntity)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.agent_id = :agentId AND c.user_id = :userId AND c.tenant_id = :tenantId', key)
      .getOne();
  }

  find(key: { tenantId: TenantId; agentId: string; userId: string }): Promise<ConversationEntity | null> {
    return this.dataSource.getRepository(ConversationEntity).findOne({ where: key });
  }

  findById(tenantId: TenantId, agentId: string, id: string): Promise<ConversationEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.dataSource.getRepository(ConversationEntity).findOne({ where: { tenantId, agentId, id } });
  }

  turns(manager: EntityManager | null, conversationId: string): Promise<ConversationTurnEntity[]> {
    return (manager ?? this.dataSource.manager)
      .getRepository(ConversationTurnEntity)
      .find({ where: { conversationId }, order: { seq: 'ASC' } });
  }

  /**
   * Appends turns (in order) to a locked conversation, bumps its counters and writes its mutable columns: one statement
   * (the turn INSERT runs as a CTE of the conversation UPDATE). `conversation` is updated in place.
   */
  async appendTurns(manager: EntityManager, conversation: ConversationEntity, turns: NewTurn[], interactions: number): Promise<void> {
    const nonEmpty = turns.filter((t) => t.messages.length > 0);
    const firstSeq = conversation.nextSeq;
    for (const t of nonEmpty) {
      const n = t.messages.length;
      conversation.messagesNum += n;
      if (t.sender === 'human') conversation.humanMessagesNum += n;
      else conversation.botMessagesNum += n;
      if (!conversation.firstMessageAt || t.ts < conversation.firstMessageAt) conversation.firstMessageAt = t.ts;
      if (!conversation.lastMessageAt || t.ts > conversation.lastMessageAt) conversation.lastMessageAt = t.ts;
    }
    conversation.nextSeq += nonEmpty.length;
    conversation.interactionsNum += interactions;
    if (nonEmpty.length === 0) {
      await this.save(manager, conversation);
      return;
    }
    const params = this.updateParams(conversation);
    const rows = nonEmpty.map((t, i) => {
      params.push(t.sender, t.operatorId ?? null, JSON.stringify(t.messages), t.ts, firstSeq + i);
      const b = params.length - 5;
      return `($${b + 1}, $${b + 2}, $${b + 3}::jsonb, $${b + 4}::timestamptz, $${b + 5}::int)`;
    });
    params.push(conversation.tenantId, conversation.agentId);
    const n = params.length;
    await manager.query(
      `WITH turns AS (
         INSERT INTO agents.conversation_turns (tenant_id, agent_id, conversation_id, sender, operator_id, messages, ts, seq)
         SELECT $${n - 1}, $${n}, $1, v.sender, v.operator_id::uuid, v.messages, v.ts, v.seq
         FROM (VALUES ${rows.join(', ')}) AS v(sender, operator_id, messages, ts, seq)
       )
       ${UPDATE_CONVERSATION}`,
      params,
    );
  }

  /** Every turn of a conversation in order, in the wire shape (no entity mapping: this is on every interact). */
  async wireTurns(conversationId: string, manager?: EntityManager): Promise<WireTurn[]> {
    return (manager ?? this.dataSource.manager).query<WireTurn[]>(
      `SELECT sender AS "from", messages, floor(extract(epoch FROM ts) * 1000)::float8 AS ts
       FROM agents.conversation_turns WHERE conversation_id = $1 ORDER BY seq`,
      [conversationId],
    );
  }

  /** Replaces the whole history (Configure State `turns`); counters are recomputed from the new turns. */
  async replaceTurns(manager: EntityManager, conversation: ConversationEntity, turns: NewTurn[]): Promise<void> {
    await manager.query(`DELETE FROM agents.conversation_turns WHERE conversation_id = $1`, [conversation.id]);
    Object.assign(conversation, {
      messagesNum: 0,
      humanMessagesNum: 0,
      botMessagesNum: 0,
      interactionsNum: 0,
      firstMessageAt: null,
      lastMessageAt: null,
      nextSeq: 0,
    });
    await this.appendTurns(manager, conversation, turns, turns.filter((t) => t.sender === 'human').length);
  }

  /**
   * Removes the listed message ids from the conversation's turns (turns left empty are deleted) and recomputes the
   * counters. Answers the ids that were found.
   */
  async deleteMessages(manager: EntityManager, conversation: ConversationEntity, mids: string[]): Promise<string[]> {
    const turns = await this.turns(manager, conversation.id);
    const wanted = new Set(mids);
    const found: string[] = [];
    const kept: NewTurn[] = [];
    for (const t of turns) {
      const messages = t.messages.filter((m) => {
        if (!wanted.has(m.mid)) return true;
        found.push(m.mid);
        return false;
      });
      kept.push({ sender: t.sender, messages, ts: t.ts, operatorId: t.operatorId });
    }
    if (found.length === 0) return found;
    const interactions = conversation.interactionsNum;
    await this.replaceTurns(manager, conversation, kept);
    // Interactions are actions taken, not messages: deleting messages does not undo them.
    conversation.interactionsNum = interactions;
    return found;
  }

  /** Writes the conversation's mutable columns (one UPDATE, no read-before-write). */
  async save(manager: EntityManager, c: ConversationEntity): Promise<void> {
    await manager.query(UPDATE_CONVERSATION, this.updateParams(c));
  }

  /** $1..$19 of UPDATE_CONVERSATION; stamps `updatedAt`. */
  private updateParams(c: ConversationEntity): unknown[] {
    c.updatedAt = new Date();
    return [
      c.id, c.origin, c.state, c.assignedClientId, c.tags, JSON.stringify(c.metadata), c.nextSeq,
      c.messagesNum, c.humanMessagesNum, c.botMessagesNum, c.interactionsNum, c.sessionsNum,
      c.firstMessageAt, c.lastMessageAt, c.ticketId, c.handoffRequestedAt, c.firstHumanResponseAt, c.endedAt, c.updatedAt,
    ];
  }
}

const UPDATE_CONVERSATION = `UPDATE agents.conversations SET
  origin = $2, state = $3, assigned_client_id = $4, tags = $5, metadata = $6::jsonb, next_seq = $7,
  messages_num = $8, human_messages_num = $9, bot_messages_num = $10, interactions_num = $11, sessions_num = $12,
  first_message_at = $13, last_message_at = $14, ticket_id = $15, handoff_requested_at = $16,
  first_human_response_at = $17, ended_at = $18, updated_at = $19
WHERE id = $1`;

import { Injectable } from '@nestjs/common';
import { type TenantId, isUuid } from '@chatbot/tenant-auth';
import { type Statement, pipelinedTransaction } from '@chatbot/database';
import { type ConversationOrigin, type EventType, type NewEvent, outboxEventsStatement } from '@chatbot/events';
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
  async lockOrCreate(manager: EntityManager, key: ConversationKey, origin: ConversationOrigin): Promise<LockedConversation> {
    const statement = lockOrCreateStatement(key, origin);
    const rows = await manager.query<LockedRow[]>(statement.text, [...statement.values]);
    return this.locked(rows, key, (id) => this.wireTurns(id, manager));
  }

  /**
   * One exchange with a conversation in two round trips (`pipelinedTransaction`): BEGIN + `lockOrCreate`, then `plan`
   * decides from the locked row (mutating it), then its turns, the conversation row and its events go with COMMIT.
   * What `plan` throws rolls everything back.
   */
  async exchange<T>(
    key: ConversationKey,
    origin: ConversationOrigin,
    plan: (locked: LockedConversation) => { turns: NewTurn[]; interactions: number; events: readonly NewEvent<EventType>[]; result: T },
  ): Promise<{ locked: LockedConversation; result: T }> {
    return pipelinedTransaction(this.dataSource, async (tx) => {
      const rows = await tx.begin<LockedRow>(lockOrCreateStatement(key, origin));
      const locked = await this.locked(rows, key, async (id) => tx.query<WireTurn>(wireTurnsStatement(id)));
      const decided = plan(locked);
      tx.defer(appendTurnsStatement(locked.conversation, decided.turns, decided.interactions));
      if (decided.events.length > 0) tx.defer(outboxEventsStatement(decided.events).statement);
      return { locked, result: decided.result };
    });
  }

  private async locked(rows: LockedRow[], key: ConversationKey, readTurns: (id: string) => Promise<WireTurn[]>): Promise<LockedConversation> {
    const row = rows[0];
    if (!row) throw new Error(`conversation of ${key.userId} belongs to another tenant`); // agent ids are tenant-scoped
    const conversation = conversationFromRow(row);
    const turns = row.turns.length === conversation.nextSeq ? row.turns : await readTurns(conversation.id);
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
    const statement = appendTurnsStatement(conversation, turns, interactions);
    await manager.query(statement.text, [...statement.values]);
  }

  /** Every turn of a conversation in order, in the wire shape (no entity mapping: this is on every interact). */
  async wireTurns(conversationId: string, manager?: EntityManager): Promise<WireTurn[]> {
    const statement = wireTurnsStatement(conversationId);
    return (manager ?? this.dataSource.manager).query<WireTurn[]>(statement.text, [...statement.values]);
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
    await manager.query(UPDATE_CONVERSATION, updateParams(c));
  }
}

export type ConversationKey = { tenantId: TenantId; agentId: string; userId: string };

/** A conversation locked by its writer, whether it was created by this call, and its turns so far. */
export interface LockedConversation {
  conversation: ConversationEntity;
  created: boolean;
  turns: WireTurn[];
}

type LockedRow = ConversationRow & { created: boolean; turns: WireTurn[] };

/**
 * The conversation of (agent, user), created if missing, locked until the transaction ends, with its turns so far
 * (wire shape) — in one statement: the no-op ON CONFLICT update takes the row lock of an existing row, and
 * `xmax = 0` tells a fresh insert. The turns subquery reads the statement's snapshot, which predates a lock wait:
 * when a concurrent writer committed turns meanwhile, fewer turns than `next_seq` come back and they are read again.
 */
function lockOrCreateStatement(key: ConversationKey, origin: ConversationOrigin): Statement {
  return {
    text: `WITH c AS (
         INSERT INTO agents.conversations AS c (tenant_id, agent_id, user_id, origin)
         VALUES ($1::uuid, $2::uuid, $3::text, $4::text)
         ON CONFLICT (agent_id, user_id) DO UPDATE SET user_id = excluded.user_id
         WHERE c.tenant_id = excluded.tenant_id
         RETURNING c.*, (c.xmax = 0) AS created
       )
       SELECT c.*,
              (SELECT coalesce(json_agg(json_build_object('from', t.sender, 'messages', t.messages,
                                                          'ts', floor(extract(epoch FROM t.ts) * 1000)) ORDER BY t.seq), '[]')
               FROM agents.conversation_turns t WHERE t.conversation_id = c.id) AS turns
       FROM c`,
    values: [key.tenantId, key.agentId, key.userId, origin],
  };
}

function wireTurnsStatement(conversationId: string): Statement {
  return {
    text: `SELECT sender AS "from", messages, floor(extract(epoch FROM ts) * 1000)::float8 AS ts
       FROM agents.conversation_turns WHERE conversation_id = $1 ORDER BY seq`,
    values: [conversationId],
  };
}

/**
 * Appends turns (in order) to a locked conversation, bumps its counters and writes its mutable columns: one statement
 * (the turn INSERT runs as a CTE of the conversation UPDATE). `conversation` is updated in place.
 */
function appendTurnsStatement(conversation: ConversationEntity, turns: NewTurn[], interactions: number): Statement {
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
  const params = updateParams(conversation);
  if (nonEmpty.length === 0) return { text: UPDATE_CONVERSATION, values: params };
  const rows = nonEmpty.map((t, i) => {
    params.push(t.sender, t.operatorId ?? null, JSON.stringify(t.messages), t.ts, firstSeq + i);
    const b = params.length - 5;
    return `($${b + 1}::text, $${b + 2}::uuid, $${b + 3}::jsonb, $${b + 4}::timestamptz, $${b + 5}::int)`;
  });
  params.push(conversation.tenantId, conversation.agentId);
  const n = params.length;
  return {
    text: `WITH turns AS (
         INSERT INTO agents.conversation_turns (tenant_id, agent_id, conversation_id, sender, operator_id, messages, ts, seq)
         SELECT $${n - 1}::uuid, $${n}::uuid, $1::uuid, v.sender, v.operator_id, v.messages, v.ts, v.seq
         FROM (VALUES ${rows.join(', ')}) AS v(sender, operator_id, messages, ts, seq)
       )
       ${UPDATE_CONVERSATION}`,
    values: params,
  };
}

/** $1..$19 of UPDATE_CONVERSATION; stamps `updatedAt`. */
function updateParams(c: ConversationEntity): unknown[] {
  c.updatedAt = new Date();
  return [
    c.id, c.origin, c.state, c.assignedClientId, c.tags, JSON.stringify(c.metadata), c.nextSeq,
    c.messagesNum, c.humanMessagesNum, c.botMessagesNum, c.interactionsNum, c.sessionsNum,
    c.firstMessageAt, c.lastMessageAt, c.ticketId, c.handoffRequestedAt, c.firstHumanResponseAt, c.endedAt, c.updatedAt,
  ];
}

const UPDATE_CONVERSATION = `UPDATE agents.conversations SET
  origin = $2::text, state = $3::text, assigned_client_id = $4::uuid, tags = $5::text[], metadata = $6::jsonb, next_seq = $7::int,
  messages_num = $8::int, human_messages_num = $9::int, bot_messages_num = $10::int, interactions_num = $11::int, sessions_num = $12::int,
  first_message_at = $13::timestamptz, last_message_at = $14::timestamptz, ticket_id = $15::uuid, handoff_requested_at = $16::timestamptz,
  first_human_response_at = $17::timestamptz, ended_at = $18::timestamptz, updated_at = $19::timestamptz
WHERE id = $1::uuid`;

import { Injectable, NotFoundException } from '@nestjs/common';
import { type TenantContext, isUuid } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager } from 'typeorm';
import { ConversationEntity } from './conversation.entity';
import { ConversationTurnEntity } from './conversation-turn.entity';
import { type ConversationRow, conversationFromRow } from './conversation-row';

/** A row read with its keyset position (`updated_at` or `created_at` as exact text). */
type KeyedRow = ConversationRow & { key_ts?: string };

/** Filters of the list and the export (already validated). */
export interface ConvoFilters {
  origin?: string;
  state?: string;
  tags?: string[];
  assignedTo?: string;
  from?: Date;
  to?: Date;
  q?: string;
}

/** A keyset position: a timestamp with its full microsecond precision (as text) and the row id. */
export interface KeysetPosition {
  ts: string;
  id: string;
}

/** The agent every convos/analytics route works on: this tenant's, and the key's own when the key is agent-scoped. */
export interface AgentScope {
  tenantId: string;
  agentId: string;
}

interface TurnRow {
  id: string;
  tenant_id: string;
  agent_id: string;
  conversation_id: string;
  seq: number;
  sender: ConversationTurnEntity['sender'];
  operator_id: string | null;
  messages: ConversationTurnEntity['messages'];
  message_count: number;
  ts: Date;
}

const COLUMNS = `c.id, c.tenant_id, c.agent_id, c.user_id, c.origin, c.state, c.assigned_client_id, c.tags, c.metadata, c.next_seq,
  c.messages_num, c.human_messages_num, c.bot_messages_num, c.interactions_num, c.sessions_num, c.first_message_at,
  c.last_message_at, c.ticket_id, c.handoff_requested_at, c.first_human_response_at, c.ended_at, c.created_at, c.updated_at`;
const TURN_COLUMNS = 'id, tenant_id, agent_id, conversation_id, seq, sender, operator_id, messages, message_count, ts';
/** A timestamptz as exact UTC text (microseconds), so keyset positions never lose precision in a JS Date. */
const exactTs = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function toTurn(r: TurnRow): ConversationTurnEntity {
  return Object.assign(new ConversationTurnEntity(), {
    id: r.id,
    tenantId: r.tenant_id,
    agentId: r.agent_id,
    conversationId: r.conversation_id,
    seq: r.seq,
    sender: r.sender,
    operatorId: r.operator_id,
    messages: r.messages,
    messageCount: r.message_count,
    ts: r.ts,
  });
}

/** Positional SQL parameters ($1, $2...). */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** WHERE clauses of the filters over `agents.conversations c`; always scoped by tenant and agent. */
function filterClauses(p: Params, scope: AgentScope, f: ConvoFilters): string[] {
  const where = [`c.tenant_id = ${p.add(scope.tenantId)}`, `c.agent_id = ${p.add(scope.agentId)}`];
  if (f.origin) where.push(`c.origin = ${p.add(f.origin)}`);
  if (f.state) where.push(`c.state = ${p.add(f.state)}`);
  if (f.tags && f.tags.length > 0) where.push(`c.tags @> ${p.add(f.tags)}::text[]`);
  if (f.assignedTo) where.push(`c.assigned_client_id = ${p.add(f.assignedTo)}::uuid`);
  // Last activity: the last message, or the creation of a conversation without messages yet.
  if (f.from) where.push(`COALESCE(c.last_message_at, c.created_at) >= ${p.add(f.from)}`);
  if (f.to) where.push(`COALESCE(c.last_message_at, c.created_at) < ${p.add(new Date(f.to.getTime() + 1))}`);
  if (f.q) {
    where.push(
      `EXISTS (SELECT 1 FROM agents.conversation_turns t WHERE t.conversation_id = c.id ` +
        `AND t.search @@ websearch_to_tsquery('simple', ${p.add(f.q)}))`,
    );
  }
  return where;
}

/** The conversation `ref` names: its id, or (as TIXAE calls conversations by their user) its userID. */
function refClause(p: Params, ref: string): { where: string; order: string } {
  const id = p.add(isUuid(ref) ? ref.toLowerCase() : null);
  return { where: `(c.id = ${id}::uuid OR c.user_id = ${p.add(ref)})`, order: `(c.id = ${id}::uuid) DESC NULLS LAST` };
}

/** Read and maintenance queries of the conversations routes; every query is scoped by tenant and agent. */
@Injectable()
export class ConvosRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** 404 for another tenant's agent, a missing one, and any agent but its own for an agent-scoped key. */
  async requireAgent(tenant: TenantContext, agentId: string): Promise<AgentScope> {
    return requireAgentScope(this.dataSource, tenant, agentId);
  }

  /** One page, newest activity first: (updated_at DESC, id DESC) after `after`; `limit + 1` rows tell if more follow. */
  async page(
    scope: AgentScope,
    filters: ConvoFilters,
    after: KeysetPosition | null,
    limit: number,
  ): Promise<{ rows: ConversationEntity[]; next: KeysetPosition | null }> {
    const p = new Params();
    const where = filterClauses(p, scope, filters);
    if (after) where.push(`(c.updated_at, c.id) < (${p.add(after.ts)}::timestamptz, ${p.add(after.id)}::uuid)`);
    const rows = await this.dataSource.query<KeyedRow[]>(
      `SELECT ${COLUMNS}, ${exactTs('c.updated_at')} AS key_ts FROM agents.conversations c
       WHERE ${where.join(' AND ')} ORDER BY c.updated_at DESC, c.id DESC LIMIT ${p.add(limit + 1)}`,
      p.values,
    );
    const more = rows.length > limit;
    const pageRows = more ? rows.slice(0, limit) : rows;
    const last = pageRows[pageRows.length - 1];
    return { rows: pageRows.map(conversationFromRow), next: more && last ? { ts: last.key_ts!, id: last.id } : null };
  }

  /** One export batch, oldest first: (created_at, id) after `after`. */
  async exportBatch(
    scope: AgentScope,
    filters: ConvoFilters,
    after: KeysetPosition | null,
    limit: number,
  ): Promise<{ conversation: ConversationEntity; key: KeysetPosition }[]> {
    const p = new Params();
    const where = filterClauses(p, scope, filters);
    if (after) where.push(`(c.created_at, c.id) > (${p.add(after.ts)}::timestamptz, ${p.add(after.id)}::uuid)`);
    const rows = await this.dataSource.query<KeyedRow[]>(
      `SELECT ${COLUMNS}, ${exactTs('c.created_at')} AS key_ts FROM agents.conversations c
       WHERE ${where.join(' AND ')} ORDER BY c.created_at, c.id LIMIT ${p.add(limit)}`,
      p.values,
    );
    return rows.map((r) => ({ conversation: conversationFromRow(r), key: { ts: r.key_ts!, id: r.id } }));
  }

  /** The turns of several conversations, grouped by conversation, each in order. */
  async turnsOf(tenantId: string, conversationIds: readonly string[]): Promise<Map<string, ConversationTurnEntity[]>> {
    const map = new Map<string, ConversationTurnEntity[]>(conversationIds.map((id) => [id, []]));
    if (conversationIds.length === 0) return map;
    const rows = await this.dataSource.query<TurnRow[]>(
      `SELECT ${TURN_COLUMNS} FROM agents.conversation_turns
       WHERE tenant_id = $1 AND conversation_id = ANY($2::uuid[]) ORDER BY conversation_id, seq`,
      [tenantId, conversationIds],
    );
    for (const row of rows) map.get(row.conversation_id)?.push(toTurn(row));
    return map;
  }

  async find(scope: AgentScope, ref: string, manager?: EntityManager, lock = false): Promise<ConversationEntity | null> {
    const p = new Params();
    const where = [`c.tenant_id = ${p.add(scope.tenantId)}`, `c.agent_id = ${p.add(scope.agentId)}`];
    const byRef = refClause(p, ref);
    const rows = await (manager ?? this.dataSource.manager).query<KeyedRow[]>(
      `SELECT ${COLUMNS} FROM agents.conversations c WHERE ${[...where, byRef.where].join(' AND ')}
       ORDER BY ${byRef.order} LIMIT 1${lock ? ' FOR UPDATE' : ''}`,
      p.values,
    );
    return rows[0] ? conversationFromRow(rows[0]) : null;
  }

  async turns(conversation: ConversationEntity): Promise<ConversationTurnEntity[]> {
    const rows = await this.dataSource.query<TurnRow[]>(
      `SELECT ${TURN_COLUMNS} FROM agents.conversation_turns WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY seq`,
      [conversation.tenantId, conversation.id],
    );
    return rows.map(toTurn);
  }

  /**
   * Merges `set` into the metadata and drops `remove` in one statement (a concurrent interact that writes other keys
   * keeps them); `tags` and `origin` replace their columns when given.
   */
  async patch(
    conversation: ConversationEntity,
    change: { set: Record<string, unknown>; remove: string[]; tags?: string[]; origin?: string },
  ): Promise<ConversationEntity | null> {
    const [rows] = await this.dataSource.query<[ConversationRow[], number]>(
      `UPDATE agents.conversations c
       SET metadata = (c.metadata || $4::jsonb) - $5::text[],
           tags = COALESCE($6::text[], c.tags),
           origin = COALESCE($7, c.origin),
           updated_at = now()
       WHERE c.tenant_id = $1 AND c.agent_id = $2 AND c.id = $3
       RETURNING ${COLUMNS}`,
      [
        conversation.tenantId,
        conversation.agentId,
        conversation.id,
        JSON.stringify(change.set),
        change.remove,
        change.tags ?? null,
        change.origin ?? null,
      ],
    );
    return rows[0] ? conversationFromRow(rows[0]) : null;
  }

  async delete(conversation: ConversationEntity): Promise<boolean> {
    const result = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM agents.conversations WHERE tenant_id = $1 AND agent_id = $2 AND id = $3`,
      [conversation.tenantId, conversation.agentId, conversation.id],
    );
    return (result[1] ?? 0) > 0;
  }

  async clientExists(manager: EntityManager, tenantId: string, clientId: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(`SELECT 1 FROM agents.clients WHERE tenant_id = $1 AND id = $2`, [tenantId, clientId]);
    return rows.length > 0;
  }

  /** Moves the (locked) conversation to `human-chatting` with `clientId`; returns the row after the change. */
  async assign(manager: EntityManager, conversation: ConversationEntity, clientId: string, ticketId: string): Promise<ConversationEntity> {
    const rows = await manager.query<[ConversationRow[], number]>(
      `UPDATE agents.conversations c
       SET state = 'human-chatting', assigned_client_id = $4, ticket_id = $5, updated_at = now()
       WHERE c.tenant_id = $1 AND c.agent_id = $2 AND c.id = $3
       RETURNING ${COLUMNS}`,
      [conversation.tenantId, conversation.agentId, conversation.id, clientId, ticketId],
    );
    const row = rows[0][0];
    if (!row) throw new NotFoundException(`Conversation ${conversation.id} not found`);
    return conversationFromRow(row);
  }
}

/** See `ConvosRepository.requireAgent`; also used by the analytics module. */
export async function requireAgentScope(dataSource: DataSource, tenant: TenantContext, agentId: string): Promise<AgentScope> {
  const visible = isUuid(agentId) && (!tenant.agentId || tenant.agentId === agentId);
  const rows = visible
    ? await dataSource.query<unknown[]>(`SELECT 1 FROM agents.agents WHERE tenant_id = $1 AND id = $2`, [tenant.tenantId, agentId])
    : [];
  if (rows.length === 0) throw new NotFoundException(`Agent ${agentId} not found`);
  return { tenantId: tenant.tenantId, agentId: agentId.toLowerCase() };
}

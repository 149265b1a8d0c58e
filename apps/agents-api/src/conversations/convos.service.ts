import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { writeOutboxEvent } from '@chatbot/events';
import { type TenantContext, isUuid } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import type { ConversationEntity } from './conversation.entity';
import { COMPUTED_METADATA_FIELDS, toTranscriptMetadata, toWireTurn } from './conversation-wire';
import { EXPORT_CONTENT_TYPES, type ExportItem, exportStream } from './convos-export';
import { type AgentScope, type ConvoFilters, ConvosRepository, type KeysetPosition } from './convos.repository';
import type { AssignConvoDto, PatchConvoDto } from './dto/convos-body.dto';
import type { ConvoFiltersDto, ExportFormat, ExportConvosQueryDto, ListConvosQueryDto } from './dto/convos-query.dto';
import { assertTransition } from './handoff-state';
import { ORIGINS, type WireTurn } from './turn-wire';
import { fieldError } from '../tixae/field-error';

type Metadata = Record<string, unknown>;

/** Conversations per export batch, and the message budget that may cut a batch shorter (long conversations). */
const EXPORT_BATCH = 500;
const EXPORT_MESSAGE_BUDGET = 20_000;

/** Transcript fields that are plain strings (or null to clear). */
const STRING_FIELDS = new Set(['name', 'email', 'phone', 'image', 'browser', 'profilePic', 'platform']);
/** Column-backed fields that only move through the handoff state machine. */
const STATE_FIELDS = new Set(['chatState', 'chatAssignedTo']);
const METADATA_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_METADATA_KEYS = 50;
const MAX_METADATA_BYTES = 16 * 1024;
const TS_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The opaque list cursor: base64url of the last row's exact `updated_at` and id. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.ts, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): KeysetPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [ts, id] = parsed as unknown[];
      if (typeof ts === 'string' && TS_TEXT.test(ts) && typeof id === 'string' && isUuid(id)) return { ts, id };
    }
  } catch {
    // reported below
  }
  throw fieldError('cursor', 'cursor is not valid: pass the nextCursor of the previous page unchanged');
}

@Injectable()
export class ConvosService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: ConvosRepository,
  ) {}

  async list(tenant: TenantContext, agentId: string, query: ListConvosQueryDto): Promise<{ items: Metadata[]; nextCursor: string | null }> {
    const scope = await this.repo.requireAgent(tenant, agentId);
    const after = query.cursor !== undefined ? decodeCursor(query.cursor) : null;
    const { rows, next } = await this.repo.page(scope, this.filters(query), after, query.limit ?? 20);
    return { items: rows.map(toTranscriptMetadata), nextCursor: next ? encodeCursor(next) : null };
  }

  async get(tenant: TenantContext, agentId: string, convoId: string): Promise<{ metadata: Metadata; turns: WireTurn[] }> {
    const conversation = await this.require(await this.repo.requireAgent(tenant, agentId), convoId);
    const turns = await this.repo.turns(conversation);
    return { metadata: toTranscriptMetadata(conversation), turns: turns.map(toWireTurn) };
  }

  async patch(tenant: TenantContext, agentId: string, convoId: string, body: PatchConvoDto): Promise<Metadata> {
    const scope = await this.repo.requireAgent(tenant, agentId);
    const change = this.metadataChange(body);
    const conversation = await this.require(scope, convoId);
    const updated = await this.repo.patch(conversation, change);
    if (!updated) throw new NotFoundException(`Conversation ${convoId} not found`);
    return toTranscriptMetadata(updated);
  }

  async remove(tenant: TenantContext, agentId: string, convoId: string): Promise<void> {
    const conversation = await this.require(await this.repo.requireAgent(tenant, agentId), convoId);
    if (!(await this.repo.delete(conversation))) throw new NotFoundException(`Conversation ${convoId} not found`);
  }

  /**
   * Hands the conversation to a human operator: `human-chatting` (through the state machine, so 409 from `ended_chat`)
   * with `chatAssignedTo` = the client, and `ticket_updated` in the same transaction. Assigning the operator who
   * already has it changes nothing and raises nothing.
   */
  async assign(tenant: TenantContext, agentId: string, convoId: string, body: AssignConvoDto): Promise<Metadata> {
    const scope = await this.repo.requireAgent(tenant, agentId);
    const clientId = body.clientId.toLowerCase();
    return this.dataSource.transaction(async (manager) => {
      const conversation = await this.repo.find(scope, convoId, manager, true);
      if (!conversation) throw new NotFoundException(`Conversation ${convoId} not found`);
      if (!(await this.repo.clientExists(manager, scope.tenantId, clientId))) {
        throw new NotFoundException(`Client ${body.clientId} not found in this workspace`);
      }
      assertTransition(conversation.state, 'human-chatting');
      if (conversation.state === 'human-chatting' && conversation.assignedClientId === clientId) {
        return toTranscriptMetadata(conversation);
      }
      const ticketId = conversation.ticketId ?? randomUUID();
      const updated = await this.repo.assign(manager, conversation, clientId, ticketId);
      await writeOutboxEvent(manager, {
        tenantId: scope.tenantId,
        type: 'ticket_updated',
        aggregateId: conversation.id,
        data: {
          agent_id: scope.agentId,
          conversation_id: conversation.id,
          user_id: conversation.userId,
          ticket_id: ticketId,
          state: 'human-chatting',
          previous_state: conversation.state,
          assigned_to: clientId,
        },
      });
      return toTranscriptMetadata(updated);
    });
  }

  /** Checks access and filters, then answers a stream that fetches keyset batches as the client reads. */
  async export(
    tenant: TenantContext,
    agentId: string,
    query: ExportConvosQueryDto,
  ): Promise<{ stream: Readable; contentType: string; filename: string }> {
    const scope = await this.repo.requireAgent(tenant, agentId);
    const format: ExportFormat = query.format ?? 'json';
    const filters = this.filters(query);
    return {
      stream: exportStream(format, this.batches(scope, filters)),
      contentType: EXPORT_CONTENT_TYPES[format],
      filename: `convos-${scope.agentId}-${new Date().toISOString().slice(0, 10)}.${format}`,
    };
  }

  /** Keyset batches over (created_at, id); each batch with the turns of its conversations. */
  private async *batches(scope: AgentScope, filters: ConvoFilters): AsyncGenerator<ExportItem[]> {
    let after: KeysetPosition | null = null;
    for (;;) {
      const rows = await this.repo.exportBatch(scope, filters, after, EXPORT_BATCH);
      // A batch also stops at the message budget (at least one conversation), so long conversations keep it small.
      let take = 0;
      let messages = 0;
      for (const row of rows) {
        if (take > 0 && messages + row.conversation.messagesNum > EXPORT_MESSAGE_BUDGET) break;
        messages += row.conversation.messagesNum;
        take += 1;
      }
      const chosen = rows.slice(0, take);
      const last = chosen[chosen.length - 1];
      if (!last) return;
      const turns = await this.repo.turnsOf(scope.tenantId, chosen.map((r) => r.conversation.id));
      yield chosen.map((r) => ({ conversation: r.conversation, turns: turns.get(r.conversation.id) ?? [] }));
      if (rows.length < EXPORT_BATCH && take === rows.length) return;
      after = last.key;
    }
  }

  private async require(scope: AgentScope, convoId: string): Promise<ConversationEntity> {
    const conversation = convoId.length <= 200 ? await this.repo.find(scope, convoId) : null;
    if (!conversation) throw new NotFoundException(`Conversation ${convoId} not found`);
    return conversation;
  }

  private filters(query: ConvoFiltersDto): ConvoFilters {
    if (query.from && query.to && query.to.getTime() < query.from.getTime()) throw fieldError('to', 'to must not be before from');
    return {
      ...(query.origin ? { origin: query.origin } : {}),
      ...(query.state ? { state: query.state } : {}),
      ...(query.tag ? { tags: [...new Set(query.tag)] } : {}),
      ...(query.assignedTo ? { assignedTo: query.assignedTo.toLowerCase() } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
      ...(query.q ? { q: query.q } : {}),
    };
  }

  /** Validates a PATCH: computed and state fields are refused; free fields merge, null removes; tags/origin go to columns. */
  private metadataChange(body: PatchConvoDto): { set: Metadata; remove: string[]; tags?: string[]; origin?: string } {
    const problems: { field: string; problems: string[] }[] = [];
    const problem = (field: string, text: string) => problems.push({ field, problems: [text] });
    const set: Metadata = {};
    const remove: string[] = [];
    let tags = body.tags;
    let origin: string | undefined;
    const metadata = body.metadata ?? {};
    const keys = Object.keys(metadata);
    if (body.tags === undefined && body.metadata === undefined) problem('metadata', 'send tags and/or metadata to change');
    if (keys.length > MAX_METADATA_KEYS) problem('metadata', `at most ${MAX_METADATA_KEYS} metadata fields at once`);
    if (JSON.stringify(metadata).length > MAX_METADATA_BYTES) problem('metadata', `metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`);
    for (const key of keys) {
      const value = metadata[key];
      const field = `metadata.${key}`;
      if (!METADATA_KEY.test(key)) problem(field, 'metadata keys are 1-64 letters, digits, _ . : or -');
      else if (COMPUTED_METADATA_FIELDS.has(key)) problem(field, `${key} is computed by the platform and cannot be changed`);
      else if (STATE_FIELDS.has(key)) problem(field, `${key} changes through POST /v3/agents/:agentId/convos/:convoId/assign or Configure State`);
      else if (key === 'origin') {
        if (typeof value === 'string' && (ORIGINS as readonly string[]).includes(value)) origin = value;
        else problem(field, `origin must be one of ${ORIGINS.join(', ')}`);
      } else if (key === 'tags') {
        if (body.tags !== undefined) problem(field, 'send tags once (either tags or metadata.tags)');
        else if (Array.isArray(value) && value.length <= 50 && value.every((t) => typeof t === 'string' && t.length >= 1 && t.length <= 64)) {
          tags = value as string[];
        } else problem(field, 'tags must be an array of at most 50 strings of 1-64 characters');
      } else if (value === null) remove.push(key);
      else if (STRING_FIELDS.has(key) && (typeof value !== 'string' || value.length > 2000)) problem(field, `${key} must be a string of at most 2000 characters (or null to remove it)`);
      else set[key] = value;
    }
    if (problems.length > 0) {
      throw new BadRequestException({ message: `Validation failed: ${problems.map((p) => p.problems.join(', ')).join('; ')}`, details: problems });
    }
    return { set, remove, ...(tags !== undefined ? { tags: [...new Set(tags)] } : {}), ...(origin !== undefined ? { origin } : {}) };
  }
}

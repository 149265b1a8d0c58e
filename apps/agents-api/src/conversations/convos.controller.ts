import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, StreamableFile } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentTenant, type TenantContext } from '@chatbot/tenant-auth';
import { type Envelope, EnvelopeDto, ErrorEnvelopeDto, ok } from '../tixae/tixae-envelope';
import { ConvosService } from './convos.service';
import { AssignConvoDto, PatchConvoDto } from './dto/convos-body.dto';
import { ExportConvosQueryDto, ListConvosQueryDto } from './dto/convos-query.dto';
import type { WireTurn } from './turn-wire';

type Metadata = Record<string, unknown>;

/** The list envelope: TIXAE's `{ success, message, data }` plus the cursor of the next page. */
export interface CursorEnvelope<T> extends Envelope<T[]> {
  nextCursor: string | null;
}

const METADATA_EXAMPLE = {
  convoId: '6f1c2a4e-3b0d-4c8e-9a51-2f7d9e0b1c3a',
  userID: 'user-42',
  name: 'Ada',
  email: 'ada@example.com',
  origin: 'web-chat',
  messagesNum: 6,
  interactionsNum: 3,
  sessionsNum: 1,
  timestamp: 1735725600000,
  tags: ['vip'],
  convoTimeSeconds: 95,
  firstMessageTS: 1735725600000,
  lastMessageTS: 1735725695000,
  chatState: 'ai-chatting',
  chatAssignedTo: null,
  lastModified: 1735725695000,
};

class ConvoListEnvelopeDto extends EnvelopeDto {
  @ApiProperty({ type: Object, isArray: true, example: [METADATA_EXAMPLE], description: 'Transcript metadata of each conversation (no turns).' })
  data!: Metadata[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.' })
  nextCursor!: string | null;
}
class ConvoEnvelopeDto extends EnvelopeDto {
  @ApiProperty({
    type: Object,
    example: {
      metadata: METADATA_EXAMPLE,
      turns: [{ from: 'human', ts: 1735725600000, messages: [{ mid: 'm1', from: 'human', type: 'text', item: { message: 'Hi' }, delay: 0, ts: 1735725600000 }] }],
    },
  })
  data!: { metadata: Metadata; turns: WireTurn[] };
}
class MetadataEnvelopeDto extends EnvelopeDto {
  @ApiProperty({ type: Object, example: METADATA_EXAMPLE }) data!: Metadata;
}

@ApiTags('conversations')
@ApiParam({ name: 'agentId', description: 'Agent ID' })
@ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: "No such agent or conversation for this key (another tenant's, or not this agent key's)." })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto, description: 'Invalid parameters or body; `details` names each field.' })
@Controller('v3/agents/:agentId/convos')
export class ConvosController {
  constructor(private readonly convos: ConvosService) {}

  @Get()
  @ApiOperation({ summary: 'List conversations, newest activity first (cursor-paged, filtered)' })
  @ApiOkResponse({ type: ConvoListEnvelopeDto })
  async list(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Query() query: ListConvosQueryDto,
  ): Promise<CursorEnvelope<Metadata>> {
    const { items, nextCursor } = await this.convos.list(tenant, agentId, query);
    return { ...ok(items), nextCursor };
  }

  // Declared before `:convoId` so "export" is never taken for a conversation id.
  @Get('export')
  @ApiOperation({
    summary: 'Export conversations (streamed): CSV one row per conversation, or a JSON array of { metadata, turns }',
    description:
      'Oldest first. Takes the same filters as the list. CSV follows RFC 4180 (CRLF, quoted cells); cells that a ' +
      'spreadsheet would run as a formula (leading = + - @) start with an apostrophe. `transcript` holds the text messages, one `from: text` line each.',
  })
  @ApiProduces('text/csv', 'application/json')
  @ApiOkResponse({ description: 'An attachment (Content-Disposition) streamed as it is read.' })
  async export(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Query() query: ExportConvosQueryDto,
  ): Promise<StreamableFile> {
    const file = await this.convos.export(tenant, agentId, query);
    return new StreamableFile(file.stream, { type: file.contentType, disposition: `attachment; filename="${file.filename}"` });
  }

  @Get(':convoId')
  @ApiOperation({ summary: 'Get a conversation: transcript metadata and turns in order' })
  @ApiParam({ name: 'convoId', description: 'Conversation ID (convoId), or the userID of the conversation' })
  @ApiOkResponse({ type: ConvoEnvelopeDto })
  async get(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Param('convoId') convoId: string,
  ): Promise<Envelope<{ metadata: Metadata; turns: WireTurn[] }>> {
    return ok(await this.convos.get(tenant, agentId, convoId));
  }

  @Patch(':convoId')
  @ApiOperation({ summary: 'Change tags and free transcript metadata (name, email, phone, image, browser, profilePic, platform, origin, custom keys)' })
  @ApiParam({ name: 'convoId', description: 'Conversation ID (convoId), or the userID of the conversation' })
  @ApiOkResponse({ type: MetadataEnvelopeDto })
  async patch(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Param('convoId') convoId: string,
    @Body() body: PatchConvoDto,
  ): Promise<Envelope<Metadata>> {
    return ok(await this.convos.patch(tenant, agentId, convoId, body), 'Conversation updated');
  }

  @Delete(':convoId')
  @ApiOperation({ summary: 'Delete a conversation and its turns' })
  @ApiParam({ name: 'convoId', description: 'Conversation ID (convoId), or the userID of the conversation' })
  @ApiOkResponse({ type: EnvelopeDto, description: '{ success, message, data: null }' })
  async remove(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Param('convoId') convoId: string,
  ): Promise<Envelope<null>> {
    await this.convos.remove(tenant, agentId, convoId);
    return ok(null, 'Conversation deleted');
  }

  @Post(':convoId/assign')
  @HttpCode(200)
  @ApiOperation({ summary: 'Assign a human operator (client): chatState becomes human-chatting; raises ticket_updated' })
  @ApiParam({ name: 'convoId', description: 'Conversation ID (convoId), or the userID of the conversation' })
  @ApiOkResponse({ type: MetadataEnvelopeDto })
  @ApiConflictResponse({ type: ErrorEnvelopeDto, description: 'The conversation cannot move to human-chatting (e.g. it has ended).' })
  async assign(
    @CurrentTenant() tenant: TenantContext,
    @Param('agentId') agentId: string,
    @Param('convoId') convoId: string,
    @Body() body: AssignConvoDto,
  ): Promise<Envelope<Metadata>> {
    return ok(await this.convos.assign(tenant, agentId, convoId, body), 'Conversation assigned');
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiExtraModels, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { CurrentTenant, type TenantContext } from '@chatbot/tenant-auth';
import { type Envelope, ErrorEnvelopeDto, type PagedEnvelope, ok, paged } from '../tixae/tixae-envelope';
import { CreateKbDocumentDto } from './dto/create-kb-document.dto';
import { KbQueryDto, ListKbQueryDto } from './dto/kb-query.dto';
import type { RequestWithUpload } from './ingestion/kb-upload.parser';
import type { KbHit } from './kb-search.types';
import type { KbStatsWire } from './kb-wire';
import { KbService } from './kb.service';

type Wire = Record<string, unknown>;

@ApiTags('knowledge base')
@ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: "No such agent or document for this key (another tenant's, or not this agent key's)." })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto })
@Controller('v3/agents/:agentId/kb')
export class KbController {
  constructor(private readonly kb: KbService) {}

  @Get()
  @ApiOperation({ summary: "List the agent's knowledge-base documents (oldest first)" })
  @ApiOkResponse({ description: '{ success, message, data: document[], total, totalPages, currentPage }' })
  async list(@CurrentTenant() t: TenantContext, @Param('agentId') agentId: string, @Query() query: ListKbQueryDto): Promise<PagedEnvelope<Wire>> {
    const page = query.page ?? 1;
    const limit = query.limit ?? 20;
    const { documents, total } = await this.kb.list(t, agentId, page, limit);
    return paged(documents, total, page, limit);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add a document: raw text, URLs, a sitemap (JSON), or a file (multipart/form-data)',
    description:
      'JSON: `{ name, content, tags }` (sourceType doc) is chunked and indexed at once (status ready); ' +
      '`{ sourceType: "url", urls, name?, tags?, refreshRate? }` adds one document per URL and ' +
      '`{ sourceType: "sitemap", sitemapUrl, maxPages?, tags?, refreshRate? }` one sitemap document whose pages become ' +
      'child documents; both answer status pending and are ingested by background jobs (pending → processing → ready | ' +
      'failed with `error`). Several URLs answer an array. multipart/form-data: field `file` (.txt, .md, .html, .pdf, ' +
      '.docx, .csv; up to KB_MAX_UPLOAD_BYTES), optional `name` and `tags` (repeated, comma-separated or a JSON array); ' +
      'answers status pending.',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiExtraModels(CreateKbDocumentDto)
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(CreateKbDocumentDto) },
        {
          type: 'object',
          required: ['file'],
          properties: { file: { type: 'string', format: 'binary' }, name: { type: 'string' }, tags: { type: 'string', example: 'billing,faq' } },
        },
      ],
    },
  })
  @ApiOkResponse({ description: '{ success, message, data: document } (an array of documents for several urls)' })
  @ApiResponse({ status: 413, type: ErrorEnvelopeDto, description: 'Request body or uploaded file too large.' })
  @ApiResponse({ status: 415, type: ErrorEnvelopeDto, description: 'Unsupported file type, or a file whose content does not match its extension.' })
  async create(
    @CurrentTenant() t: TenantContext,
    @Param('agentId') agentId: string,
    @Body() body: CreateKbDocumentDto,
    @Req() req: RequestWithUpload,
  ): Promise<Envelope<Wire | Wire[]>> {
    if (req.kbUpload) return ok(await this.kb.upload(t, agentId, req.kbUpload), 'File added; ingestion queued');
    const data = await this.kb.create(t, agentId, body);
    return ok(data, body.sourceType === 'url' || body.sourceType === 'sitemap' ? 'Source added; ingestion queued' : 'Document added');
  }

  @Get('stats')
  @ApiOperation({ summary: 'Knowledge-base totals: docsCount, charCount, chunks, per-status counts and knowledgeBaseStatus' })
  @ApiOkResponse({ description: '{ success, message, data: { docsCount, charCount, chunks, statusCounts, knowledgeBaseStatus } }' })
  async stats(@CurrentTenant() t: TenantContext, @Param('agentId') agentId: string): Promise<Envelope<KbStatsWire>> {
    return ok(await this.kb.stats(t, agentId));
  }

  @Post('query')
  @HttpCode(200)
  @ApiOperation({ summary: 'Query the knowledge base: { question, chunkLimit, tags } → ranked chunks with scores and sources' })
  @ApiOkResponse({ description: '{ success, message, data: { question, chunks: [{ chunkId, documentId, documentName, url, headingPath, position, text, score, tags, matchedAll, source }] } }' })
  async query(
    @CurrentTenant() t: TenantContext,
    @Param('agentId') agentId: string,
    @Body() body: KbQueryDto,
  ): Promise<Envelope<{ question: string; chunks: (KbHit & { source: string })[] }>> {
    return ok(await this.kb.query(t, agentId, body));
  }

  @Get(':docId')
  @ApiOperation({ summary: 'Get a document (status, error, counts; a sitemap also pageCounts of its pages)' })
  async get(@CurrentTenant() t: TenantContext, @Param('agentId') agentId: string, @Param('docId') docId: string): Promise<Envelope<Wire>> {
    return ok(await this.kb.get(t, agentId, docId));
  }

  @Delete(':docId')
  @ApiOperation({ summary: 'Delete a document and its chunks' })
  async remove(@CurrentTenant() t: TenantContext, @Param('agentId') agentId: string, @Param('docId') docId: string): Promise<Envelope<null>> {
    await this.kb.remove(t, agentId, docId);
    return ok(null, 'Document deleted');
  }
}

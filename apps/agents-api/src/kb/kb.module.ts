import { Module } from '@nestjs/common';
import { KbCoreModule } from '@chatbot/kb';
import { KbController } from './kb.controller';
import { KbUploadParser } from './ingestion/kb-upload.parser';
import { KbSearchService } from './kb-search.service';
import { KbRepository } from './kb.repository';
import { KbService } from './kb.service';

/**
 * Knowledge base: documents, chunks and retrieval (full-text, hybrid with embeddings when pgvector is there). Raw text
 * is indexed in the request; url, sitemap and file sources are validated, stored `pending` and enqueued as BullMQ
 * `kb-ingestion` jobs, which the worker processes (apps/worker/src/kb). Exports KbSearchService (the Chat Interact
 * engines).
 */
@Module({
  imports: [KbCoreModule],
  controllers: [KbController],
  providers: [KbService, KbSearchService, KbRepository, KbUploadParser],
  exports: [KbSearchService, KbCoreModule],
})
export class KbModule {}

import { Module } from '@nestjs/common';
import { KbController } from './kb.controller';
import { KbIngestionProcessor } from './ingestion/kb-ingestion.processor';
import { KbIngestionQueue } from './ingestion/kb-ingestion.queue';
import { KbRefreshScheduler } from './ingestion/kb-refresh.scheduler';
import { KbUploadParser } from './ingestion/kb-upload.parser';
import { KbIngestionService } from './kb-ingestion.service';
import { KbSearchService } from './kb-search.service';
import { KbVectorService } from './retrieval/kb-vector.service';
import { KbRepository } from './kb.repository';
import { KbService } from './kb.service';

/**
 * Knowledge base: documents, chunks, retrieval, and the ingestion of url/sitemap/file sources (BullMQ `kb-ingestion`
 * jobs processed in this app unless KB_INGESTION_CONCURRENCY=0, plus the refresh scheduler). Exports KbSearchService
 * (the Chat Interact engines) and KbIngestionService.
 */
@Module({
  controllers: [KbController],
  providers: [
    KbService,
    KbSearchService,
    KbVectorService,
    KbIngestionService,
    KbRepository,
    KbIngestionQueue,
    KbIngestionProcessor,
    KbRefreshScheduler,
    KbUploadParser,
  ],
  exports: [KbSearchService, KbIngestionService],
})
export class KbModule {}

import { Module } from '@nestjs/common';
import { KbCoreModule } from '@chatbot/kb';
import { KbIngestionProcessor } from './kb-ingestion.processor';
import { KbRefreshScheduler } from './kb-refresh.scheduler';

/**
 * Knowledge-base ingestion (BullMQ `kb-ingestion` jobs: fetch or load, extract, chunk, index, embed) and the refresh
 * scheduler (due url/sitemap refreshes, documents left `pending` without a job). agents-api only validates, stores
 * the document and enqueues.
 */
@Module({
  imports: [KbCoreModule],
  providers: [KbIngestionProcessor, KbRefreshScheduler],
})
export class KbIngestionModule {}

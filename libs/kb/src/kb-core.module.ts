import { Module } from '@nestjs/common';
import { KbChunkEntity } from './entities/kb-chunk.entity';
import { KbDocumentEntity } from './entities/kb-document.entity';
import { KbIngestionQueue } from './ingestion/kb-ingestion.queue';
import { KbDocumentRepository } from './kb-document.repository';
import { KbIngestionService } from './kb-ingestion.service';
import { KbVectorService } from './retrieval/kb-vector.service';

/** Entities of the knowledge-base tables (schema `agents`, migrations owned by agents-api). */
export const KB_ENTITIES = [KbDocumentEntity, KbChunkEntity];

/**
 * The knowledge-base domain shared by agents-api (routes, retrieval) and the worker (ingestion jobs): the document
 * rows, status changes with their `kb_status_changed` outbox event, the ingestion queue's producer and the vector side
 * of hybrid retrieval. Needs PlatformModule (config with KbSharedConfig's fields, logger, DataSource).
 */
@Module({
  providers: [KbDocumentRepository, KbIngestionService, KbIngestionQueue, KbVectorService],
  exports: [KbDocumentRepository, KbIngestionService, KbIngestionQueue, KbVectorService],
})
export class KbCoreModule {}

import { CreatedAtColumn } from '@chatbot/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A retrievable passage. Chunks are written and searched with SQL (the weighted `tsv` is computed in the INSERT with the
 * document's text-search configuration); the entity exists for reads and for the data source's metadata.
 */
@Entity({ schema: 'agents', name: 'kb_chunks' })
export class KbChunkEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'uuid' })
  agentId!: string;

  @Column({ type: 'uuid' })
  documentId!: string;

  @Column({ type: 'integer' })
  position!: number;

  @Column({ type: 'text', array: true, default: '{}' })
  headingPath!: string[];

  @Column({ type: 'text' })
  content!: string;

  @Column({ type: 'integer' })
  charCount!: number;

  @Column({ type: 'tsvector', select: false, insert: false, update: false })
  tsv!: string;

  @CreatedAtColumn()
  createdAt!: Date;
}

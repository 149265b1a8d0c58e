import { randomUUID } from 'node:crypto';
import { CreatedAtColumn, TIMESTAMPTZ, UpdatedAtColumn } from '@chatbot/database';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const KB_SOURCE_TYPES = ['text', 'file', 'url', 'sitemap'] as const;
export type KbSourceType = (typeof KB_SOURCE_TYPES)[number];
export const KB_DOC_STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;
export type KbDocStatus = (typeof KB_DOC_STATUSES)[number];
export const KB_REFRESH_RATES = ['6h', '12h', '24h', 'never'] as const;
export type KbRefreshRate = (typeof KB_REFRESH_RATES)[number];

/** A knowledge-base source (raw text, file, URL, sitemap; a sitemap's pages are child documents). */
@Entity({ schema: 'agents', name: 'kb_documents' })
@Index('kb_documents_list_idx', ['tenantId', 'agentId', 'createdAt', 'id'])
export class KbDocumentEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'uuid' })
  agentId!: string;

  /** The sitemap document a crawled page belongs to. */
  @Column({ type: 'uuid', nullable: true })
  parentId!: string | null;

  @Column({ type: 'text' })
  name!: string;

  /** Page title (URL sources), else null. */
  @Column({ type: 'text', nullable: true })
  title!: string | null;

  @Column({ type: 'text' })
  sourceType!: KbSourceType;

  @Column({ type: 'text', array: true, default: '{}' })
  tags!: string[];

  @Column({ type: 'text', nullable: true })
  url!: string | null;

  @Column({ type: 'text', nullable: true })
  sitemapUrl!: string | null;

  @Column({ type: 'integer', nullable: true })
  maxPages!: number | null;

  @Column({ type: 'text', default: 'never' })
  refreshRate!: KbRefreshRate;

  @Column({ type: 'text', default: 'pending' })
  status!: KbDocStatus;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'text', nullable: true })
  mimeType!: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  byteSize!: number | null;

  /** sha256 (hex) of the extracted text; a refresh with the same hash changes nothing. */
  @Column({ type: 'text', nullable: true })
  contentHash!: string | null;

  @Column({ type: 'integer', default: 0 })
  charCount!: number;

  @Column({ type: 'integer', default: 0 })
  chunkCount!: number;

  /** Text-search configuration the chunks were indexed with (from the agent's `lang`). */
  @Column({ type: 'text', default: 'simple' })
  tsConfig!: string;

  /** Increases on every (re-)ingestion: `jobIds.ingestion(id, version)`. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;

  @Column({ ...TIMESTAMPTZ, nullable: true })
  lastIngestedAt!: Date | null;

  @Column({ ...TIMESTAMPTZ, nullable: true })
  nextRefreshAt!: Date | null;
}

/** What a new document needs; everything else starts empty (no content yet, version 1, `pending`, never refreshed). */
export type NewKbDocument = Pick<KbDocumentEntity, 'tenantId' | 'agentId' | 'name' | 'sourceType' | 'tags'> &
  Partial<Pick<KbDocumentEntity, 'parentId' | 'url' | 'sitemapUrl' | 'maxPages' | 'refreshRate' | 'status' | 'mimeType' | 'byteSize'>>;

/** A new document row (not yet inserted), with a fresh id. */
export function newKbDocument(fields: NewKbDocument, now = new Date()): KbDocumentEntity {
  return Object.assign(new KbDocumentEntity(), {
    id: randomUUID(),
    parentId: null,
    title: null,
    url: null,
    sitemapUrl: null,
    maxPages: null,
    refreshRate: 'never',
    status: 'pending',
    error: null,
    mimeType: null,
    byteSize: null,
    contentHash: null,
    charCount: 0,
    chunkCount: 0,
    tsConfig: 'simple',
    version: 1,
    createdAt: now,
    updatedAt: now,
    lastIngestedAt: null,
    nextRefreshAt: null,
    ...fields,
  } satisfies Omit<KbDocumentEntity, never>);
}

import { CreatedAtColumn, UpdatedAtColumn } from '@chatbot/database';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { PlanTier } from '../plans/plans';

export type TenantStatus = 'active' | 'suspended' | 'deleted';

@Entity({ schema: 'tenancy', name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  planTier!: PlanTier;

  @Column({ type: 'text', default: 'active' })
  status!: TenantStatus;

  @Column({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}

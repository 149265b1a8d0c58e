import { CreateDateColumn, UpdateDateColumn, type ColumnOptions } from 'typeorm';

/** Every timestamp is `timestamptz`. */
export const TIMESTAMPTZ: ColumnOptions = { type: 'timestamptz' };

export const CreatedAtColumn = (): PropertyDecorator => CreateDateColumn({ type: 'timestamptz' });
export const UpdatedAtColumn = (): PropertyDecorator => UpdateDateColumn({ type: 'timestamptz' });

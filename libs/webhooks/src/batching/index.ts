export * from './micro-batcher';
export * from './pg-direct';

export * from './snake-naming.strategy';
export * from './data-source';
export * from './database-admin';
export * from './migrations';
export * from './columns';
export * from './concurrent-index';
export * from './pipelined/literal-statement';
export * from './pipelined/pipelined-transaction';

/** The transfers table (database `transfers`): schema, store and the shared status rules. */
export * from './status';
export * from './refusal-codes';
export * from './store';
export * from './resource';
export * from './status-notifications';
export * from './batch-store';
export * from './batch-resource';

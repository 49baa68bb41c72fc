export * from './ids.ts';
export * from './kinds/index.ts';
export * from './topics.ts';
export * from './payloads.ts';
export * from './alerts.ts';

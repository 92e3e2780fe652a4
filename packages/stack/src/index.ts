export * from './postgres.js';
export * from './keys.js';
export * from './stack.js';
export * from './migrate.js';
export * from './mongo.js';
export * from './ports.js';

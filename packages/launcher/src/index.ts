export * from './migrate.js';
export * from './supervisor.js';
export * from './launcher.js';
export * from './healthcheck.js';

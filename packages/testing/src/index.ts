export * from './harness.js';
export * from './client.js';
export * from './accounts.js';
export * from './wait.js';
export * from './social.js';
export * from './operations.js';

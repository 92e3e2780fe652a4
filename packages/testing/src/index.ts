export * from './harness.js';
export * from './client.js';

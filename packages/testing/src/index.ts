// The test kit shared by every package, service and cross-service test.
export * from './env.js';
export * from './service-harness.js';
export * from './waiting.js';

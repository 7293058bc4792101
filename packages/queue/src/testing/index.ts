// Test helpers of the workspace (source only, not built or published): a real redis-server per test
// file, and queue workers in child processes.
export { startTestRedis, hasRedis, requireRedis, REDIS_SERVER } from './redisServer.js';
export type { TestRedis } from './redisServer.js';
export { spawnWorker } from './workerProcess.js';
export type { WorkerProcess } from './workerProcess.js';

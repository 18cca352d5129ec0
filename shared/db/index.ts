export { createPool, type Pool, type PoolClient, type Queryable } from './pool.js';
export { withTransaction } from './transaction.js';
export { openDatabase, type Database } from './connect.js';
export { runMigrations, pendingMigrations, listMigrationFiles, defaultMigrationsDir, MigrationError } from './migrate.js';
export { startEmbeddedServer, findRunningEmbeddedServer, embeddedUrl, type EmbeddedServer } from './embedded.js';

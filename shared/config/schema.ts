/** JSON Schema of the validated configuration (env + config/<APP_ENV>.json merged). */
export const configSchema = {
  $id: 'config',
  type: 'object',
  additionalProperties: false,
  required: ['appEnv', 'port', 'logLevel', 'dataDir', 'db', 'auth', 'http', 'events', 'pubsub'],
  properties: {
    appEnv: { type: 'string', enum: ['dev', 'test', 'staging', 'prod'] },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    logLevel: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
    dataDir: { type: 'string', minLength: 1 },
    gcpProject: { type: 'string', minLength: 1 },
    databaseUrl: { type: 'string', pattern: '^postgres(ql)?://' },
    redisUrl: { type: 'string', pattern: '^rediss?://' },
    db: {
      type: 'object',
      additionalProperties: false,
      required: ['poolMax', 'statementTimeoutMs', 'autoMigrate'],
      properties: {
        poolMax: { type: 'integer', minimum: 1, maximum: 200 },
        statementTimeoutMs: { type: 'integer', minimum: 100 },
        autoMigrate: { type: 'boolean' },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['issuer', 'audience', 'jwksRefreshSeconds', 'clockToleranceSeconds'],
      properties: {
        issuer: { type: 'string', minLength: 1 },
        audience: { type: 'string', minLength: 1 },
        jwksUrl: { type: 'string', pattern: '^https?://' },
        jwksFile: { type: 'string', minLength: 1 },
        jwksRefreshSeconds: { type: 'integer', minimum: 10 },
        clockToleranceSeconds: { type: 'integer', minimum: 0, maximum: 300 },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      required: ['bodyLimitBytes', 'shutdownGraceMs'],
      properties: {
        bodyLimitBytes: { type: 'integer', minimum: 1024 },
        // Cloud Run sends SIGTERM and kills the instance 10 s later.
        shutdownGraceMs: { type: 'integer', minimum: 100, maximum: 9500 },
      },
    },
    pubsub: {
      type: 'object',
      additionalProperties: false,
      required: [],
      properties: {
        project: { type: 'string', minLength: 1 },
      },
    },
    events: {
      type: 'object',
      additionalProperties: false,
      required: ['source', 'topics', 'relay'],
      properties: {
        source: { type: 'string', minLength: 1 },
        topics: {
          type: 'object',
          additionalProperties: false,
          required: ['inference', 'eval', 'hitl', 'budget', 'inferenceRequests'],
          properties: {
            inference: { type: 'string', minLength: 1 },
            eval: { type: 'string', minLength: 1 },
            hitl: { type: 'string', minLength: 1 },
            budget: { type: 'string', minLength: 1 },
            inferenceRequests: { type: 'string', minLength: 1 },
          },
        },
        relay: {
          type: 'object',
          additionalProperties: false,
          required: ['batchSize', 'idleIntervalMs', 'backoffBaseMs', 'backoffMaxMs', 'publishTimeoutMs', 'leaseSeconds'],
          properties: {
            batchSize: { type: 'integer', minimum: 1, maximum: 1000 },
            idleIntervalMs: { type: 'integer', minimum: 10 },
            backoffBaseMs: { type: 'integer', minimum: 1 },
            backoffMaxMs: { type: 'integer', minimum: 1 },
            publishTimeoutMs: { type: 'integer', minimum: 100 },
            leaseSeconds: { type: 'integer', minimum: 2 },
          },
        },
      },
    },
  },
} as const;

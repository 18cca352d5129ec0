/** JSON Schema of the validated configuration (env + config/<APP_ENV>.json merged). */
export const configSchema = {
  $id: 'config',
  type: 'object',
  additionalProperties: false,
  required: ['appEnv', 'port', 'logLevel', 'dataDir', 'db', 'auth', 'http', 'events', 'pubsub', 'capabilities', 'prices', 'tenantDefaults', 'providers', 'routing'],
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
    capabilities: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['description', 'inputSchema', 'outputSchema', 'prompt', 'chain', 'maxOutputTokens', 'temperature', 'cacheTtlSeconds', 'hitl', 'rag'],
        properties: {
          description: { type: 'string', minLength: 1 },
          inputSchema: { type: 'object' },
          outputSchema: { type: 'object' },
          prompt: {
            type: 'object',
            additionalProperties: false,
            required: ['version', 'system', 'template'],
            properties: { version: { type: 'string', minLength: 1 }, system: { type: 'string' }, template: { type: 'string', minLength: 1 } },
          },
          chain: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['provider', 'model', 'timeoutMs'],
              properties: {
                provider: { type: 'string', enum: ['vertex', 'anthropic', 'openai', 'deterministic'] },
                model: { type: 'string', minLength: 1 },
                timeoutMs: { type: 'integer', minimum: 100 },
              },
            },
          },
          maxOutputTokens: { type: 'integer', minimum: 1 },
          temperature: { type: 'number', minimum: 0, maximum: 2 },
          cacheTtlSeconds: { type: 'integer', minimum: 0 },
          hitl: { type: 'boolean' },
          rag: { type: 'boolean' },
        },
      },
    },
    prices: {
      type: 'object',
      propertyNames: { pattern: '^[a-z]+:.+$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['inputMicrosPerMTok', 'outputMicrosPerMTok'],
        properties: { inputMicrosPerMTok: { type: 'integer', minimum: 0 }, outputMicrosPerMTok: { type: 'integer', minimum: 0 } },
      },
    },
    tenantDefaults: {
      type: 'object',
      additionalProperties: false,
      required: ['allowedProviders', 'budgets', 'rateLimits'],
      properties: {
        allowedProviders: { type: 'array', items: { type: 'string', enum: ['vertex', 'anthropic', 'openai', 'deterministic'] } },
        budgets: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['period', 'capability', 'limitMicros'],
            properties: {
              period: { type: 'string', enum: ['daily', 'monthly'] },
              capability: { type: ['string', 'null'] },
              limitMicros: { type: 'integer', minimum: 0 },
            },
          },
        },
        rateLimits: {
          type: 'object',
          additionalProperties: false,
          required: ['requestsPerMinute', 'tokensPerMinute'],
          properties: { requestsPerMinute: { type: 'integer', minimum: 1 }, tokensPerMinute: { type: 'integer', minimum: 1 } },
        },
      },
    },
    providers: {
      type: 'object',
      additionalProperties: false,
      required: ['vertex', 'anthropic', 'openai', 'byok', 'embeddings'],
      properties: {
        vertex: {
          type: 'object',
          additionalProperties: false,
          required: ['location'],
          properties: { project: { type: 'string', minLength: 1 }, location: { type: 'string', minLength: 1 }, baseUrl: { type: 'string', pattern: '^https?://' } },
        },
        anthropic: {
          type: 'object',
          additionalProperties: false,
          properties: { apiKey: { type: 'string', minLength: 1 }, baseUrl: { type: 'string', pattern: '^https?://' } },
        },
        openai: {
          type: 'object',
          additionalProperties: false,
          properties: { apiKey: { type: 'string', minLength: 1 }, baseUrl: { type: 'string', pattern: '^https?://' } },
        },
        byok: {
          type: 'object',
          additionalProperties: false,
          required: ['secretNamePattern', 'cacheTtlSeconds'],
          properties: { secretNamePattern: { type: 'string', minLength: 1 }, cacheTtlSeconds: { type: 'integer', minimum: 0 } },
        },
        embeddings: {
          type: 'object',
          additionalProperties: false,
          required: ['model', 'dimensions'],
          properties: { model: { type: 'string', minLength: 1 }, dimensions: { type: 'integer', minimum: 1 } },
        },
      },
    },
    routing: {
      type: 'object',
      additionalProperties: false,
      required: ['deadlineMs', 'retryJitterMs', 'breaker', 'flagsRefreshSeconds'],
      properties: {
        deadlineMs: { type: 'integer', minimum: 100 },
        retryJitterMs: { type: 'integer', minimum: 0 },
        flagsRefreshSeconds: { type: 'integer', minimum: 1 },
        breaker: {
          type: 'object',
          additionalProperties: false,
          required: ['errorThresholdPercentage', 'volumeThreshold', 'resetTimeoutMs', 'rollingCountTimeoutMs'],
          properties: {
            errorThresholdPercentage: { type: 'integer', minimum: 1, maximum: 100 },
            volumeThreshold: { type: 'integer', minimum: 1 },
            resetTimeoutMs: { type: 'integer', minimum: 100 },
            rollingCountTimeoutMs: { type: 'integer', minimum: 100 },
          },
        },
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

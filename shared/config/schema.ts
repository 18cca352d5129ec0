/** JSON Schema of the validated configuration (env + config/<APP_ENV>.json merged). */
export const configSchema = {
  $id: 'config',
  type: 'object',
  additionalProperties: false,
  required: ['appEnv', 'port', 'logLevel', 'dataDir', 'db', 'auth', 'http', 'events', 'pubsub', 'capabilities', 'prices', 'tenantDefaults', 'providers', 'routing', 'pushAuth', 'asyncInference', 'hitl', 'signer', 'snapshots', 'rag'],
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
    pushAuth: {
      type: 'object',
      additionalProperties: false,
      required: ['issuer'],
      properties: {
        issuer: { type: 'string', minLength: 1 },
        jwksUrl: { type: 'string', pattern: '^https?://' },
        audience: { type: 'string', minLength: 1 },
        email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' },
      },
    },
    asyncInference: {
      type: 'object',
      additionalProperties: false,
      required: ['maxDeliveryAttempts', 'claimLeaseSeconds', 'waitTimeoutMs', 'dedupeRetentionSeconds', 'pruneIntervalSeconds'],
      properties: {
        // Pub/Sub's dead-letter policy allows 5 to 100 delivery attempts.
        maxDeliveryAttempts: { type: 'integer', minimum: 5, maximum: 100 },
        claimLeaseSeconds: { type: 'integer', minimum: 5, maximum: 3600 },
        waitTimeoutMs: { type: 'integer', minimum: 0, maximum: 600000 },
        // Pub/Sub redelivers an unacknowledged message for up to 7 days: keep dedupe rows at least that long.
        dedupeRetentionSeconds: { type: 'integer', minimum: 604800 },
        pruneIntervalSeconds: { type: 'integer', minimum: 60 },
      },
    },
    hitl: {
      type: 'object',
      additionalProperties: false,
      required: ['taskTtlSeconds', 'sweepIntervalSeconds'],
      properties: {
        taskTtlSeconds: { type: 'integer', minimum: 1 },
        sweepIntervalSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
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
    rag: {
      type: 'object',
      additionalProperties: false,
      required: ['corpora', 'topK', 'candidates', 'efSearch', 'searchPoolMax', 'chunking', 'ingest'],
      properties: {
        corpora: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } },
        topK: { type: 'integer', minimum: 1, maximum: 50 },
        candidates: { type: 'integer', minimum: 1, maximum: 1000 },
        efSearch: { type: 'integer', minimum: 1, maximum: 1000 },
        searchPoolMax: { type: 'integer', minimum: 1, maximum: 100 },
        chunking: {
          type: 'object',
          additionalProperties: false,
          required: ['maxTokens', 'overlapTokens'],
          properties: { maxTokens: { type: 'integer', minimum: 16, maximum: 2048 }, overlapTokens: { type: 'integer', minimum: 0, maximum: 512 } },
        },
        ingest: {
          type: 'object',
          additionalProperties: false,
          required: ['embedBatchSize', 'concurrency', 'bulkLoad'],
          properties: {
            embedBatchSize: { type: 'integer', minimum: 1, maximum: 1000 },
            concurrency: { type: 'integer', minimum: 1, maximum: 64 },
            bulkLoad: {
              type: 'object',
              additionalProperties: false,
              required: ['minDocuments', 'maintenanceWorkMemMb'],
              properties: { minDocuments: { type: 'integer', minimum: 1 }, maintenanceWorkMemMb: { type: 'integer', minimum: 64, maximum: 65536 } },
            },
          },
        },
      },
    },
    signer: {
      type: 'object',
      additionalProperties: false,
      required: ['maxValiditySeconds', 'kmsTimeoutMs', 'publicKeysCacheSeconds'],
      properties: {
        // A crypto key (not a version): every enabled version is published, kmsPrimaryVersion signs.
        kmsKeyName: { type: 'string', pattern: '^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$' },
        kmsPrimaryVersion: { type: 'integer', minimum: 1 },
        maxValiditySeconds: { type: 'integer', minimum: 60 },
        kmsTimeoutMs: { type: 'integer', minimum: 100 },
        publicKeysCacheSeconds: { type: 'integer', minimum: 0 },
      },
    },
    snapshots: {
      type: 'object',
      additionalProperties: false,
      required: ['objectPrefix', 'urlTtlSeconds'],
      properties: {
        bucket: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$' },
        objectPrefix: { type: 'string', pattern: '\\{tenant\\}' },
        // A V4 signed URL lives at most 7 days.
        urlTtlSeconds: { type: 'integer', minimum: 60, maximum: 604800 },
      },
    },
    events: {
      type: 'object',
      additionalProperties: false,
      required: ['source', 'topics', 'relay', 'outboxRetention'],
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
            minRoundGapMs: { type: 'integer', minimum: 0, maximum: 1000 },
            settledAfterMs: { type: 'integer', minimum: 0 },
            fullScanIntervalMs: { type: 'integer', minimum: 1000 },
          },
        },
        outboxRetention: {
          type: 'object',
          additionalProperties: false,
          required: ['retentionSeconds', 'pruneIntervalSeconds'],
          properties: {
            retentionSeconds: { type: 'integer', minimum: 3600 },
            pruneIntervalSeconds: { type: 'integer', minimum: 60 },
          },
        },
      },
    },
  },
} as const;

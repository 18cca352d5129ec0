import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { AppError } from '../../errors/app-error.js';
import { inferenceCompletedSchema, type InferenceCompletedData } from './inference-completed.js';
import { inferenceFailedSchema, type InferenceFailedData } from './inference-failed.js';
import { budgetThresholdCrossedSchema, type BudgetThresholdCrossedData } from './budget-threshold-crossed.js';
import { budgetPeriodClosedSchema, type BudgetPeriodClosedData } from './budget-period-closed.js';
import { hitlTaskCreatedSchema, type HitlTaskCreatedData } from './hitl-task-created.js';
import { hitlTaskDecidedSchema, type HitlTaskDecidedData } from './hitl-task-decided.js';
import { hitlTaskExpiredSchema, type HitlTaskExpiredData } from './hitl-task-expired.js';
import { evalRunCompletedSchema, type EvalRunCompletedData } from './eval-run-completed.js';

export type {
  InferenceCompletedData,
  InferenceFailedData,
  BudgetThresholdCrossedData,
  BudgetPeriodClosedData,
  HitlTaskCreatedData,
  HitlTaskDecidedData,
  HitlTaskExpiredData,
  EvalRunCompletedData,
};

/** The data carried by each event type. */
export interface EventDataByType {
  'inference.completed': InferenceCompletedData;
  'inference.failed': InferenceFailedData;
  'budget.threshold_crossed': BudgetThresholdCrossedData;
  'budget.period_closed': BudgetPeriodClosedData;
  'hitl.task_created': HitlTaskCreatedData;
  'hitl.task_decided': HitlTaskDecidedData;
  'hitl.task_expired': HitlTaskExpiredData;
  'eval.run_completed': EvalRunCompletedData;
}

export type EventType = keyof EventDataByType;

const SCHEMAS: Record<EventType, object> = {
  'inference.completed': inferenceCompletedSchema,
  'inference.failed': inferenceFailedSchema,
  'budget.threshold_crossed': budgetThresholdCrossedSchema,
  'budget.period_closed': budgetPeriodClosedSchema,
  'hitl.task_created': hitlTaskCreatedSchema,
  'hitl.task_decided': hitlTaskDecidedSchema,
  'hitl.task_expired': hitlTaskExpiredSchema,
  'eval.run_completed': evalRunCompletedSchema,
};

export const EVENT_TYPES = Object.keys(SCHEMAS) as EventType[];

export const isEventType = (type: string): type is EventType => Object.hasOwn(SCHEMAS, type);

// Compiled once at import: a broken schema fails at startup, not at the first event.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
addFormats.default(ajv);
const VALIDATORS = new Map<string, ValidateFunction>(EVENT_TYPES.map((type) => [type, ajv.compile(SCHEMAS[type])]));

/** Throws `invalid_event` naming the type and the first violation unless data matches the type's schema. */
export function validateEventData<K extends EventType>(type: K | string, data: unknown): asserts data is EventDataByType[K] {
  const validate = VALIDATORS.get(type);
  if (!validate) throw invalidEvent(type, `unknown event type (known: ${EVENT_TYPES.join(', ')})`);
  if (!validate(data)) throw invalidEvent(type, describe(validate.errors?.[0]));
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'data is invalid';
  const where = `data${error.instancePath.replaceAll('/', '.')}`;
  if (error.keyword === 'required') return `${where}.${String(error.params.missingProperty)} is required`;
  if (error.keyword === 'additionalProperties') return `${where}.${String(error.params.additionalProperty)} is not allowed`;
  if (error.keyword === 'enum') return `${where} must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

function invalidEvent(type: string, problem: string): AppError {
  return new AppError({
    code: 'invalid_event',
    status: 500,
    title: 'Invalid event',
    detail: `event ${type}: ${problem}`,
    extra: { event_type: type },
  });
}

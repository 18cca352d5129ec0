import type { EventTopics } from '../config/index.js';

export type HitlStatus = 'pending' | 'approved' | 'rejected' | 'expired';
export const HITL_STATUSES: readonly HitlStatus[] = ['pending', 'approved', 'rejected', 'expired'];

/** A review task as the API shows it. */
export interface HitlTaskView {
  task_id: string;
  capability: string;
  call_id: string;
  status: HitlStatus;
  draft: unknown;
  /** The released output: the draft or the reviewer's edit once approved; null otherwise. */
  output: unknown;
  edited: boolean;
  reason: string | null;
  correlation_id: string | null;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

/** What writing tasks and their events needs. */
export interface HitlEventSettings {
  topics: EventTopics;
  /** CloudEvents `source` of the events. */
  source: string;
}

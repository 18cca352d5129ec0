import { invalidCursor } from './errors.js';

/** A position in the task list (newest first): the last row's created_at (microseconds since epoch) and id. */
export interface TaskCursor {
  createdAtMicros: string;
  taskId: string;
}

const DECODED = /^(\d{1,18}),([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Opaque to clients: base64url of `micros,task_id`. */
export function encodeCursor(cursor: TaskCursor): string {
  return Buffer.from(`${cursor.createdAtMicros},${cursor.taskId}`, 'utf8').toString('base64url');
}

/** Throws 400 `invalid_cursor` for anything encodeCursor could not have produced. */
export function decodeCursor(text: string): TaskCursor {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) throw invalidCursor();
  const match = DECODED.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) throw invalidCursor();
  return { createdAtMicros: match[1]!, taskId: match[2]! };
}

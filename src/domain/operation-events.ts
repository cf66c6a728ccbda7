/**
 * A tenant's operational events (issue 24): what happened to its delivery that it may want to act
 * on, sent to its operations endpoint (`PUT /v1/operations-endpoint`) as signed Standard Webhooks
 * and shown on its dashboard. Each is about one tenant's own endpoint, subscription or task, and
 * is recorded at most once per occurrence (`operation_events (tenant_id, occurrence)` is unique).
 * docs/operations.md describes each event, its data and what an app does about it.
 */

export const OPERATION_EVENT_TYPES = [
  "endpoint.circuit_opened",
  "endpoint.recovered",
  "endpoint.disabled",
  "subscription.failed",
  "task.expired",
] as const;

export type OperationEventType = (typeof OPERATION_EVENT_TYPES)[number];

/** Events sent per tick: they are rare (a failure, an expiry), so a small bounded step at the end of the tick is enough. */
export const OPERATION_EVENTS_PER_TICK = 20;

/**
 * The exact bytes of an operational event: `{type, timestamp, data}` like a task webhook's
 * envelope, `data` spliced in as stored (JSON text written by SQLite's `json_object`), so every
 * attempt signs and sends the same bytes.
 * @example operationEventBody("task.expired", 0, '{"task_id":"T"}')
 * // '{"type":"task.expired","timestamp":"1970-01-01T00:00:00.000Z","data":{"task_id":"T"}}'
 */
export const operationEventBody = (type: string, timestamp: number, dataJson: string): string =>
  `{"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(new Date(timestamp).toISOString())},"data":${dataJson}}`;

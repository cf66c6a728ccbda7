import type { z } from "@hono/zod-openapi";
import { admissionError, admit } from "../api-kit/admission";
import { ApiError } from "../api-kit/api-error";
import type { BatchRegistrationResultSchema } from "../api-kit/api-schemas";
import { pollCalledBackTasks } from "../api-kit/called-back";
import { actionPairConflict, archiveOf, exactMetadata, type RegistrationBody, registrationOf } from "../api-kit/registration";
import { registrationSchemaFor } from "../api-kit/registration-schema";
import type { RequestScope, ServiceVariables } from "../api-kit/services";
import { parseOrThrow } from "../api-kit/validation";
import { loadConfig } from "../config";
import type { TenantId } from "../domain/ids";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { exactArrayItemTexts, exactMemberText } from "../lib/exact-json";
import { openDb } from "../storage/db";
import { type Registration, registerSubscriptions } from "../storage/subscriptions";
import { presentSubscription } from "./present";

type BatchResult = z.infer<typeof BatchRegistrationResultSchema>;
/** An item that passed its own checks: its place in the batch, its registration's fields. */
type CheckedItem = { index: number; body: RegistrationBody; metadata: string | null; archive: boolean };
/** What the batch reads of its request: the tenant, the body's exact text, the services. */
type BatchContext = RequestScope & { var: Readonly<{ tenantId: TenantId; jsonBodyText: string } & ServiceVariables> };

const failed = (error: ApiError): BatchResult => ({
  status: error.status as 400 | 403 | 404 | 409 | 429,
  error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
});

const admissionItemOf = (body: RegistrationBody) => ({ provider: body.provider, taskId: body.task_id!, callbackUrl: body.callback_url });

/**
 * Checks each item alone, as `POST /v1/tasks` would (the registration schema, its exact metadata),
 * refusing a create (a batch registers existing tasks) and an item naming the same (provider,
 * task_id, callback_url) as an earlier valid one. A failed item's answer goes into `results`.
 */
function checkItems(env: Env, bodyText: string, items: readonly unknown[], results: BatchResult[]): CheckedItem[] {
  const schema = registrationSchemaFor(loadConfig(env));
  // Each item's exact text, for its metadata; null when the body repeats a key anywhere.
  const texts = exactArrayItemTexts(bodyText, "tasks");
  const checked: CheckedItem[] = [];
  const firstNaming = new Map<string, number>();
  items.forEach((item, index) => {
    try {
      const body = parseOrThrow(schema, item);
      if (body.task_id === undefined)
        throw new ApiError("invalid_request", "invalid request: a batch registers existing tasks; create them one at a time", [
          { field: "create", message: "is not accepted in a batch" },
        ]);
      const taskId = body.task_id;
      const itemText = texts?.[index];
      const metadata = exactMetadata(
        () => (texts === null ? null : itemText === undefined ? undefined : exactMemberText(itemText, "metadata")),
        body.metadata,
      );
      const name = JSON.stringify([body.provider, taskId, body.callback_url]);
      const first = firstNaming.get(name);
      if (first !== undefined)
        throw new ApiError("conflict", `item ${first} of this batch already registers task ${taskId} for this callback_url`);
      firstNaming.set(name, index);
      checked.push({ index, body, metadata, archive: archiveOf(env, body.archive) });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      results[index] = failed(error);
    }
  });
  return checked;
}

/**
 * Registers a batch's items (the envelope already validated, the rate limit taken): each checked
 * alone, then admitted (whether the tenant may reach each task upstream, and within its caps: a
 * refused item fails alone), then the valid ones written in one transaction. One result per item,
 * in order: what `POST /v1/tasks` would have answered it.
 */
export async function registerBatch(c: BatchContext, items: readonly unknown[]): Promise<BatchResult[]> {
  const { tenantId } = c.var;
  const results: BatchResult[] = [];
  const checked = checkItems(c.env, c.var.jsonBodyText, items, results);
  const db = openDb(c.env.DB);
  const admissions =
    checked.length === 0
      ? []
      : await admit(
          db,
          tenantId,
          checked.map(({ body }) => admissionItemOf(body)),
        );
  const valid: { index: number; body: RegistrationBody; registration: Registration }[] = [];
  checked.forEach(({ index, body, metadata, archive }, i) => {
    const admission = admissions[i]!;
    if (admission.kind === "refused") results[index] = failed(admissionError(admission, admissionItemOf(body)));
    else valid.push({ index, body, registration: registrationOf(tenantId, body.task_id!, body, metadata, archive, admission.account) });
  });
  const outcomes = await registerSubscriptions(
    db,
    loadConfig(c.env).secretsKeyring,
    valid.map((v) => v.registration),
    systemClock.now(),
  );
  pollCalledBackTasks(
    c,
    outcomes.map((o) => o.task),
  );
  valid.forEach(({ index, body }, i) => {
    const outcome = outcomes[i]!;
    results[index] =
      outcome.kind === "action_pair_conflict"
        ? failed(actionPairConflict(body.task_id!, outcome.task))
        : { status: outcome.kind === "created" ? 201 : 200, subscription: presentSubscription(outcome.subscription, outcome.task) };
  });
  return results;
}

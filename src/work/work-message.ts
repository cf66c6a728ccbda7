import { z } from "zod";
import { isLeaseToken, type LeaseToken } from "../domain/ids";

/** Which work a message names: tasks to poll, webhook messages to deliver, or archive files to copy. */
export type WorkKind = "poll" | "deliver" | "archive";

/**
 * One queue message: ids the tick claimed under one lease token, never their state. D1 stays the
 * single source of truth: the consumer loads the rows by id and token, and skips any whose lease
 * moved on.
 * @example { kind: "poll", leaseToken: "lease_5c0e...", ids: ["878106242831892487", "878106242831892488"] }
 */
export interface WorkMessage {
  kind: WorkKind;
  leaseToken: LeaseToken;
  ids: string[];
}

/**
 * Ids per message. A consumer spends one subrequest per id (one poll or one webhook) out of
 * SUBREQUEST_BUDGET, which stays under the free plan's 50 subrequests per invocation: the
 * consumers' `max_batch_size` in wrangler.toml times this must fit that budget. Ten ids of at
 * most 128 characters (task ids; webhook ids are shorter) make a body under 1.5 KB, far below
 * the 128 KB a message may weigh.
 */
export const IDS_PER_MESSAGE = 10;

/**
 * Ids one message may carry when read back. Larger than IDS_PER_MESSAGE so that messages written
 * by an earlier deploy with another size are still accepted; a consumer releases what its own
 * budget cannot cover.
 */
const MAX_IDS_ACCEPTED = 1_000;

/** Task ids are at most 128 characters (the registration schema); webhook ids are shorter. */
const MAX_ID_LENGTH = 128;

export const WorkMessageSchema = z.object({
  kind: z.enum(["poll", "deliver", "archive"]),
  // Checked as a lease token: a body naming anything else is malformed, reported and retried like any other.
  leaseToken: z.custom<LeaseToken>((value) => typeof value === "string" && isLeaseToken(value), "not a lease token"),
  ids: z.array(z.string().min(1).max(MAX_ID_LENGTH)).min(1).max(MAX_IDS_ACCEPTED),
});

import type { Config } from "../config";
import type { SendPacer } from "../domain/send-pacing";
import type { Clock } from "../lib/clock";
import type { WorkBudget } from "./work-budget";
import type { WorkReport } from "./work-report";

export { type Clock, systemClock } from "../lib/clock";

/** What the per-item work (one poll, one webhook) needs, in a tick or in a queue consumer. */
export interface WorkContext {
  config: Config;
  clock: Clock;
  budget: WorkBudget;
  report: WorkReport;
  /** Paces the sends of endpoints with a rate limit (ENDPOINT_PACER); absent: limits are not enforced. */
  pacer?: SendPacer;
}

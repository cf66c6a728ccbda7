/**
 * The chaos run's endpoints that go down for a stretch of ticks and come back (OUTAGES in
 * chaos-script.ts): switches their receivers down and up, watches their circuits between ticks
 * (when each opened and closed, the receiver's hits by then) and sums what each endpoint was sent
 * while down against what the retry schedule alone would have sent it.
 */
import { env } from "cloudflare:workers";
import { probeWaitMs } from "../../src/domain/endpoint-health";
import { OUTAGES, type Outage } from "./chaos-script";

/** What an endpoint that was down for a stretch was sent, and what became of its circuit. */
export interface OutageFigures {
  endpoint: string;
  ticksDown: number;
  /** Messages to it that were due while it was down (created before it came back, not delivered before it went down). */
  messagesDue: number;
  /** Attempts it received while down, all of them... */
  attemptsWhileDown: number;
  /** ...of which before its circuit opened... */
  beforeCircuitOpened: number;
  /** ...and once it was open (probes), at most `probesAllowed`. */
  probes: number;
  /** Probe times between the circuit opening and the endpoint coming back, one more per tick that died meanwhile. */
  probesAllowed: number;
  /** Attempts the retry schedule would have made of the due messages while it was down, without a circuit. */
  scheduleAttempts: number;
  /** Simulated seconds from the endpoint coming back to its circuit closing. */
  closedAfterSeconds: number | null;
  /** All its messages (each delivered in the end: chaos-run.ts checks), and those its receiver accepted twice. */
  messages: number;
  duplicates: number;
}

/** A message to an outage's endpoint, as the run reads it at the end. */
export interface OutageMessage {
  subscription_id: string;
  created_at: number;
  delivered_at: number | null;
}

interface Span {
  startedAt: number | null;
  endedAt: number | null;
  hitsAtStart: number;
  hitsAtEnd: number;
  openedAt: number | null;
  hitsAtOpen: number;
  closedAt: number | null;
  diedWhileOpen: number;
}

interface WatchOptions {
  run: string;
  /** The receivers verify every delivery with it. */
  secret: string;
  sim: { now: number };
  /** When a message's attempts come by the retry schedule alone, in ms after its first. */
  scheduleOffsetsMs: number[];
  probeMinMs: number;
  probeMaxMs: number;
}

export function watchOutages(o: WatchOptions) {
  const name = (outage: Outage) => `${o.run}-${outage.name}`;
  const url = (outage: Outage) => `${env.FAKE_URL}/hooks/${name(outage)}`;
  const spans = new Map<Outage, Span>(
    OUTAGES.map((outage) => [
      outage,
      { startedAt: null, endedAt: null, hitsAtStart: 0, hitsAtEnd: 0, openedAt: null, hitsAtOpen: 0, closedAt: null, diedWhileOpen: 0 },
    ]),
  );
  const setReceiver = (outage: Outage, down: boolean) =>
    fetch(`${env.FAKE_URL}/_sim/receivers/${name(outage)}`, {
      method: "PUT",
      body: JSON.stringify({ steps: [down ? outage.down : { status: 200 }], secret: o.secret }),
    });
  const deliveries = async (outage: Outage) =>
    (
      (await (await fetch(`${env.FAKE_URL}/_sim/receivers/${name(outage)}`)).json()) as {
        deliveries: { headers: Record<string, string>; answered: number }[];
      }
    ).deliveries;
  const circuitOpenedAt = async (outage: Outage) =>
    (
      await env.DB.prepare("SELECT circuit_opened_at FROM endpoints WHERE url = ?")
        .bind(url(outage))
        .first<{ circuit_opened_at: number | null }>()
    )?.circuit_opened_at ?? null;

  /** Probe times from `openedAt` before `endedAt`: each wait doubles from the minimum, as the circuit's do. */
  const probeTimes = (openedAt: number, endedAt: number) => {
    let count = 0;
    for (let at = openedAt + o.probeMinMs; at < endedAt; at += probeWaitMs(count, o.probeMinMs, o.probeMaxMs)) count += 1;
    return count;
  };

  return {
    url,
    receiverName: name,
    /** Every receiver up, verifying, before the first tick. */
    async prepare() {
      for (const outage of OUTAGES) await setReceiver(outage, false);
    },
    /** Before the tick of `step`: switch receivers down or up, and note what the circuits did in the tick before. */
    async beforeTick(step: number) {
      for (const [outage, span] of spans) {
        if (step === outage.from) {
          span.startedAt = o.sim.now;
          span.hitsAtStart = (await deliveries(outage)).length;
          await setReceiver(outage, true);
        }
        // Watched from the outage's start until its circuit closed (or, never opened, until it is back).
        if (span.startedAt === null || span.closedAt !== null || (span.endedAt !== null && span.openedAt === null)) continue;
        const opened = await circuitOpenedAt(outage);
        if (span.openedAt === null && opened !== null) {
          span.openedAt = opened;
          span.hitsAtOpen = (await deliveries(outage)).length;
        } else if (span.openedAt !== null && opened === null) span.closedAt = o.sim.now;
        if (step === outage.until) {
          span.endedAt = o.sim.now;
          span.hitsAtEnd = (await deliveries(outage)).length;
          if (span.openedAt === null) span.hitsAtOpen = span.hitsAtEnd;
          await setReceiver(outage, false);
        }
      }
    },
    /** A tick died: while a circuit is open, it may have taken the probe with it (the next one waits no longer). */
    tickDied() {
      for (const span of spans.values()) if (span.openedAt !== null && span.endedAt === null) span.diedWhileOpen += 1;
    },
    /** The figures of each outage, and what went wrong with its circuit. */
    async figures(messages: readonly OutageMessage[], subscriptionOutage: (subscriptionId: string) => Outage | undefined) {
      const figures: OutageFigures[] = [];
      const problems: string[] = [];
      for (const [outage, span] of spans) {
        if (span.startedAt === null || span.endedAt === null) {
          problems.push(`${outage.name}: the run ended before its outage did`);
          continue;
        }
        const { startedAt, endedAt } = span;
        if (span.openedAt === null) problems.push(`${outage.name}: its circuit never opened while it was down`);
        else if (span.closedAt === null) problems.push(`${outage.name}: its circuit never closed after it came back`);
        const mine = messages.filter((m) => subscriptionOutage(m.subscription_id) === outage);
        const due = mine.filter((m) => m.created_at < endedAt && (m.delivered_at ?? Number.POSITIVE_INFINITY) >= startedAt);
        const accepted = (await deliveries(outage))
          .filter((d) => d.answered >= 200 && d.answered < 300)
          .map((d) => d.headers["webhook-id"]);
        figures.push({
          endpoint: outage.name,
          ticksDown: outage.until - outage.from,
          messagesDue: due.length,
          attemptsWhileDown: span.hitsAtEnd - span.hitsAtStart,
          beforeCircuitOpened: span.hitsAtOpen - span.hitsAtStart,
          probes: span.hitsAtEnd - span.hitsAtOpen,
          probesAllowed: span.openedAt === null ? 0 : probeTimes(span.openedAt, endedAt) + span.diedWhileOpen,
          // Each due message from when it was due (or the outage began): its first attempt, then one per schedule entry, until the outage's end.
          scheduleAttempts: due.reduce(
            (sum, m) => sum + o.scheduleOffsetsMs.filter((offset) => Math.max(m.created_at, startedAt) + offset < endedAt).length,
            0,
          ),
          closedAfterSeconds: span.closedAt === null ? null : (span.closedAt - endedAt) / 1000,
          messages: mine.length,
          duplicates: accepted.length - new Set(accepted).size,
        });
      }
      return { figures, problems };
    },
  };
}

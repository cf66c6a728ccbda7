/** A table of figures a benchmark or chaos run reports (from workerd) and the Node side prints. */
export interface BenchTable {
  order: number;
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

/** A table as markdown, as docs/performance.md shows it: how every benchmark's results are printed. */
export const benchMarkdown = (t: BenchTable): string =>
  [
    `### ${t.title}`,
    "",
    `| ${t.columns.join(" | ")} |`,
    `|${t.columns.map(() => "---").join("|")}|`,
    ...t.rows.map((r) => `| ${r.join(" | ")} |`),
    ...(t.notes?.length ? ["", ...t.notes] : []),
  ].join("\n");

/**
 * What the benchmarks' `POST /_bench/memory/stop` answers (test/harness/process-memory.ts): the
 * resident memory of the workerd process that asked, in bytes, over the time since its start.
 */
export interface MemoryWindow {
  pid: number;
  /** VmRSS and RssAnon when it started. */
  startRss: number;
  startAnon: number;
  /** VmHWM at the end, reset at the start: the exact peak. */
  peakRss: number;
  /** The largest VmRSS and RssAnon sampled. */
  peakSampledRss: number;
  peakSampledAnon: number;
  endRss: number;
  samples: number;
  /** The largest VmRSS and RssAnon sampled while progress was at most each checkpoint the stop request named. */
  peakBy: { progress: number; rss: number; anon: number }[];
}

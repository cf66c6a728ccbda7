/** A table of figures a benchmark or chaos run reports (from workerd) and the Node side prints. */
export interface BenchTable {
  order: number;
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

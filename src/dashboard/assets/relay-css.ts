/** /assets/relay.css: the dashboard's and the API reference's only stylesheet. */
export const RELAY_CSS = `:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1d232b; --muted: #687385; --line: #dde1e7; --accent: #2b5fd9;
  --ok: #1f8a4c; --warn: #c46a00; --bad: #c93030; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  color-scheme: light;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .payload { font-family: var(--mono); font-size: 12.5px; }
h1 { font-size: 20px; margin: 8px 0 16px; }
h2 { font-size: 15px; margin: 24px 0 8px; }
h3 { font-size: 14px; margin: 0; }
.muted { color: var(--muted); }
header.top { display: flex; align-items: center; gap: 18px; padding: 10px 20px; background: #1d232b; color: #fff; flex-wrap: wrap; }
header.top nav { display: flex; gap: 14px; }
header.top nav a { color: #c9d3e3; }
header.top nav a.current { color: #fff; font-weight: 600; }
header.top .refreshed { margin-left: auto; color: #9aa6b8; font-size: 12px; }
header.top form.logout { margin: 0; }
header.top .who { margin-left: auto; color: #c9d3e3; font-size: 13px; }
header.top .who strong { color: #fff; }
header.top .who code { color: #9aa6b8; background: none; }
header.top .who + .refreshed { margin-left: 0; }
main { padding: 16px 20px 40px; max-width: 1280px; margin: 0 auto; }
button { font: inherit; padding: 5px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); cursor: pointer; }
button:hover:not([disabled]) { border-color: var(--accent); }
button[disabled] { opacity: .5; cursor: default; }
input, select, textarea { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.counts { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.count { display: flex; flex-direction: column; padding: 14px 16px; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; color: var(--text); }
.count:hover { text-decoration: none; border-color: var(--accent); }
.count-value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.count-label { color: var(--muted); }
.count-ok .count-value { color: var(--ok); }
.count-warn .count-value { color: var(--warn); }
.count-bad .count-value { color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 12px; margin-top: 12px; }
.chart { margin: 0; padding: 12px 14px; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }
.chart figcaption { font-weight: 600; margin-bottom: 6px; }
.chart figcaption .muted { font-weight: 400; font-size: 12px; }
.chart svg { width: 100%; height: auto; display: block; }
.chart .bar { fill: #8fb0f0; }
.chart .bar-bad { fill: var(--bad); }
.chart .bar-warn { fill: var(--warn); }
.chart .axis { stroke: var(--line); }
.chart .tick { fill: var(--muted); font-size: 10px; }
table.list, table.schema { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
table.list th, table.list td, table.schema th, table.schema td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.list th, table.schema th { background: #eef1f5; font-weight: 600; font-size: 12.5px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.empty { text-align: center; padding: 14px; }
.error-text { color: var(--bad); }
.ok-text { color: var(--ok); }
.status { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; background: #e8ebf0; }
.status-delivered, .status-succeed { background: #dcf2e4; color: var(--ok); }
.status-failed { background: #fbe1e1; color: var(--bad); }
.status-pending, .status-processing, .status-submitted, .status-active { background: #e1eafb; color: var(--accent); }
.status-cancelled { color: var(--muted); }
.status-endpoint-healthy { background: #dcf2e4; color: var(--ok); }
.status-endpoint-failing { background: #fdecd4; color: var(--warn); }
.status-endpoint-circuit_open, .status-endpoint-disabled { background: #fbe1e1; color: var(--bad); }
form.inline { display: inline; }
.filters, .tabs { display: flex; gap: 12px; align-items: center; margin-bottom: 12px; flex-wrap: wrap; }
.filters .find { margin-left: auto; }
.tabs a { padding: 4px 10px; border-radius: 6px; }
.tabs a.current { background: var(--panel); border: 1px solid var(--line); font-weight: 600; }
.pager { display: flex; gap: 16px; margin: 10px 0; }
.bulk button { margin-top: 10px; }
a.more { font-size: 12.5px; font-weight: 400; margin-left: 8px; }
.notice { padding: 8px 12px; border-radius: 6px; background: #dcf2e4; }
.notice-warn { background: #fdecd4; }
dl.facts { display: grid; grid-template-columns: 150px 1fr; gap: 4px 12px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre.payload { background: #1d232b; color: #e6ebf2; padding: 12px; border-radius: 8px; overflow: auto; max-height: 360px; }
article.subscription { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin-bottom: 12px; }
article.subscription > header { display: flex; justify-content: space-between; align-items: center; }
article.subscription form { margin: 0; }
.delivery { margin-top: 10px; }
.login { max-width: 420px; margin: 60px auto; background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 24px; }
.login form { display: flex; flex-direction: column; gap: 12px; }
.login label { display: flex; flex-direction: column; gap: 4px; }
`;

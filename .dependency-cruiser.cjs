/**
 * The import rules of src/ (README, "Architecture"), checked by `npm run check:deps` in `npm test`.
 * Arrows point down only: domain <- storage, upstream, webhooks <- work <- archive <- tick, queue, inbound
 * <- auth <- http, dashboard; index.ts wires them (http/app.ts mounts inbound's routes). Each rule names the direction it forbids and why.
 */
const rooms = (...names) => `^src/(${names.join("|")})/`;

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "A cycle makes two modules one: neither can change, load or be tested alone.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "domain-is-pure",
      comment: "The domain holds rules, not I/O: it imports only itself and lib/ (pure helpers).",
      severity: "error",
      from: { path: rooms("domain", "lib") },
      to: { path: "^src/", pathNot: rooms("domain", "lib") },
    },
    {
      name: "storage-imports-only-the-domain",
      comment: "Storage persists what the domain decides; it never calls upstream, sends or schedules work.",
      severity: "error",
      from: { path: rooms("storage") },
      to: { path: "^src/", pathNot: rooms("storage", "domain", "lib") },
    },
    {
      name: "upstream-and-webhooks-never-touch-the-database",
      comment: "The upstream client and the webhook sender are network edges: no D1, no work, no HTTP app.",
      severity: "error",
      from: { path: rooms("upstream", "webhooks") },
      to: { path: "^src/", pathNot: [rooms("upstream", "webhooks", "domain", "lib"), "^src/version\\.ts$"] },
    },
    {
      name: "the-archive-copier-is-a-network-edge",
      comment: "Copying a file into R2 (its fetch, its parts) knows no D1: archive-work.ts records what the copier answers.",
      severity: "error",
      from: { path: "^src/archive/(copy-file|fetch-source)\\.ts$" },
      to: { path: "^src/", pathNot: ["^src/archive/(copy-file|fetch-source)\\.ts$", rooms("domain", "lib"), "^src/version\\.ts$"] },
    },
    {
      name: "archiving-is-one-room",
      comment:
        "Archiving's work (copies, settling, retention of R2 objects) lives in archive/, on the work core and storage; the tick and the queue consumers call it, it calls neither, nor any page.",
      severity: "error",
      from: { path: rooms("archive") },
      to: { path: rooms("tick", "queue", "inbound", "gateway", "auth", "http", "dashboard") },
    },
    {
      name: "work-serves-its-callers",
      comment: "The work core is shared by the tick, the queue consumers and inbound callbacks: it imports none of them.",
      severity: "error",
      from: { path: rooms("work") },
      to: { path: rooms("archive", "tick", "queue", "inbound", "gateway", "auth", "http", "dashboard") },
    },
    {
      name: "tick-and-queue-apart",
      comment: "The tick reaches queues only through the dispatcher interface wired in src/index.ts.",
      severity: "error",
      from: { path: rooms("tick") },
      to: { path: rooms("queue", "http", "dashboard", "auth") },
    },
    {
      name: "queue-and-tick-apart",
      comment: "Consumers share the work core with the tick, not the tick itself.",
      severity: "error",
      from: { path: rooms("queue") },
      to: { path: rooms("tick", "http", "dashboard", "auth") },
    },
    {
      name: "handlers-never-call-upstream-or-send",
      comment: "HTTP handlers and pages only read and write D1: polling and delivery belong to the work core.",
      severity: "error",
      from: { path: rooms("http", "dashboard", "auth") },
      to: { path: rooms("upstream", "webhooks", "archive", "work", "tick", "queue") },
    },
    {
      name: "auth-below-the-pages",
      comment: "Keys and sessions serve both the API and the dashboard, so they import neither.",
      severity: "error",
      from: { path: rooms("auth") },
      to: { path: rooms("http", "dashboard") },
    },
    {
      name: "the-api-does-not-import-the-dashboard",
      comment: "The dashboard and inbound callbacks may use the API's shared helpers; the API only mounts them, in app.ts.",
      severity: "error",
      from: { path: rooms("http"), pathNot: "^src/http/app\\.tsx?$" },
      to: { path: rooms("dashboard", "inbound", "gateway") },
    },
    {
      name: "the-gateway-acts-for-the-api",
      comment:
        "The gateway calls upstream for API requests (creates, CometAPI's paths) and polls only through the work core; no page uses it.",
      severity: "error",
      from: { path: rooms("gateway") },
      to: { path: rooms("tick", "queue", "dashboard", "inbound") },
    },
    {
      name: "inbound-is-its-own-way-in",
      comment: "Callbacks poll and deliver through the work core, like the tick and the consumers, and import neither of them.",
      severity: "error",
      from: { path: rooms("inbound") },
      to: { path: rooms("tick", "queue", "dashboard") },
    },
    {
      name: "config-and-env-are-leaves",
      comment: "Everything reads the configuration; it reads nothing but the domain and lib.",
      severity: "error",
      from: { path: "^src/(config|env)\\.ts$|^src/config/" },
      to: {
        path: "^src/",
        pathNot: [rooms("domain", "lib", "work"), "^src/(config|env)\\.ts$|^src/config/", "^src/worker-configuration\\.d\\.ts$"],
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js"] },
  },
};

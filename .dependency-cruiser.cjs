/**
 * The import rules of src/ (docs/architecture.md), checked by `npm run check:deps` in `npm test`.
 * Arrows point down only: domain <- storage, upstream, webhooks <- work <- archive <- tick, queue;
 * work <- inbound, gateway; domain, storage <- api-kit (what every HTTP way in shares) <- auth <- http
 * (the /v1 API), dashboard, gateway, inbound. Two modules at the top wire the rooms: src/app.ts (the
 * one HTTP app: it mounts the API, the drop-in paths, the inbound route, files, docs and the
 * dashboard, composes the auth middlewares and gives the routes their services; only index.ts
 * imports it) and src/index.ts (one way in per event). Operational events (operations/) sit beside the
 * API: src/app.ts mounts their endpoint's routes and the tick takes their delivery step. Apps' client is a package of its own
 * (packages/client), typed from the OpenAPI document: the Worker takes only its verifier. Each
 * rule names the direction it forbids and why; tools/check-rooms.ts then fails on any two rooms that
 * import each other, which a rule per room would have to spell out pair by pair.
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
      to: { path: rooms("archive", "tick", "queue", "inbound", "gateway", "auth", "http", "dashboard", "api-kit") },
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
      name: "only-the-work-core-and-the-gateway-call-upstream",
      comment:
        "Upstream is called by the work core (polls, for every way in) and by the gateway, which acts upstream for an app's request: a create is the app's (made once, in the request, and its answer is the app's answer) and a drop-in query of a task the relay does not know passes upstream's answer through. Nothing else calls upstream (the tick: only the batch size of Kling's query, below).",
      severity: "error",
      from: { path: "^src/", pathNot: [rooms("upstream", "work", "gateway", "tick")] },
      to: { path: rooms("upstream") },
    },
    {
      name: "the-tick-only-sizes-upstream-batches",
      comment: "The tick splits its claims by Kling's batch query size (chunkTaskIds); it polls through the work core.",
      severity: "error",
      from: { path: rooms("tick") },
      to: { path: rooms("upstream"), pathNot: "^src/upstream/query-kling\\.ts$" },
    },
    {
      name: "handlers-never-call-upstream-or-send",
      comment:
        "The API's handlers, the pages, auth and the shared API kit only read and write D1: polling and delivery belong to the work core, creates to the gateway (a service the app hands the routes).",
      severity: "error",
      from: { path: rooms("http", "dashboard", "auth", "api-kit") },
      to: { path: rooms("upstream", "webhooks", "archive", "work", "tick", "queue", "gateway", "inbound") },
    },
    {
      name: "the-api-kit-serves-every-way-in",
      comment:
        "What the API, the drop-in paths and the inbound route share (error envelope, validation, OpenAPI helpers, schemas, limits, admission, create-then-register) sits below all of them and auth: it imports none.",
      severity: "error",
      from: { path: rooms("api-kit") },
      to: { path: [rooms("auth", "http", "dashboard"), "^src/(app|index)\\.ts$"] },
    },
    {
      name: "auth-below-the-pages",
      comment: "Keys, sessions and the auth middlewares serve the API, the drop-in paths and the dashboard, so they import none of them.",
      severity: "error",
      from: { path: rooms("auth") },
      to: { path: [rooms("http", "dashboard"), "^src/(app|index)\\.ts$"] },
    },
    {
      name: "nothing-imports-the-api",
      comment:
        "The /v1 API (http/) is mounted by src/app.ts and imported by nothing else: what other rooms share with it lives in api-kit/, so no room and the API import each other.",
      severity: "error",
      from: { path: "^src/", pathNot: [rooms("http"), "^src/app\\.ts$"] },
      to: { path: rooms("http") },
    },
    {
      name: "only-the-root-imports-the-app",
      comment: "src/app.ts wires every HTTP room: only src/index.ts uses it, or a room would import the rooms above it.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/index\\.ts$", "^src/app\\.ts$"] },
      to: { path: "^src/app\\.ts$" },
    },
    {
      name: "the-worker-takes-only-the-verifier",
      comment:
        "The inbound route checks callbacks with the client package's verifyWebhook (one source, no copy); the rest of the package is the apps' client, which the Worker never needs.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^packages/", pathNot: "^packages/client/src/verify-webhook\\.ts$" },
    },
    {
      name: "the-client-package-stands-alone",
      comment:
        "Apps install packages/client without the Worker: it is typed from the OpenAPI document (src/api.ts, generated), never from the Worker's code or types.",
      severity: "error",
      from: { path: "^packages/client/src/" },
      to: { path: "^src/" },
    },
    {
      name: "the-ways-in-stand-apart",
      comment:
        "The API, the dashboard, the drop-in paths and the inbound route are mounted side by side in src/app.ts and import none of each other.",
      severity: "error",
      from: { path: rooms("http", "dashboard", "gateway", "inbound") },
      to: { path: rooms("http", "dashboard", "gateway", "inbound"), pathNot: "^src/$1/" },
    },
    {
      name: "the-gateway-acts-for-the-api",
      comment:
        "The gateway calls upstream for API requests (creates, CometAPI's paths) and polls only through the work core; no page uses it.",
      severity: "error",
      from: { path: rooms("gateway") },
      to: { path: rooms("tick", "queue") },
    },
    {
      name: "inbound-is-its-own-way-in",
      comment: "Callbacks poll and deliver through the work core, like the tick and the consumers, and import neither of them.",
      severity: "error",
      from: { path: rooms("inbound") },
      to: { path: rooms("tick", "queue") },
    },
    {
      name: "operations-is-a-room-of-its-own",
      comment:
        "Operational events (src/operations/): the tenant's operations endpoint routes, mounted by src/app.ts, and their delivery, a step of the tick. On storage, the webhook sender and the work core; no other way in, no phase of the tick, no queue.",
      severity: "error",
      from: { path: rooms("operations") },
      to: { path: rooms("tick", "queue", "http", "dashboard", "gateway", "inbound", "archive", "upstream") },
    },
    {
      name: "operations-routes-never-send",
      comment: "The operations endpoint routes only read and write D1, like the API's handlers: sending is the tick's step.",
      severity: "error",
      from: { path: "^src/operations/.*-routes\\.ts$" },
      to: { path: [rooms("webhooks", "work", "upstream"), "^src/operations/(?!.*-routes\\.ts$)"] },
    },
    {
      name: "only-the-app-and-the-tick-reach-operations",
      comment: "src/app.ts mounts the operations routes and the tick sends the events: nothing else imports the room.",
      severity: "error",
      from: { path: "^src/", pathNot: [rooms("operations", "tick"), "^src/app\\.ts$"] },
      to: { path: rooms("operations") },
    },
    {
      name: "the-pacer-only-paces",
      comment:
        "An endpoint's pacer (a Durable Object) hands out send slots and knows nothing else: no D1, no sending, no work; the work core asks it.",
      severity: "error",
      from: { path: rooms("ratelimit") },
      to: { path: "^src/", pathNot: rooms("ratelimit", "domain", "lib") },
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

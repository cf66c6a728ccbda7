/**
 * Kling's legacy product paths: the one list that the upstream client (src/upstream/query-kling.ts),
 * the request schemas (src/api-kit/registration-schema.ts) and the simulator (tools/) read, so that
 * adding a product is one line here (docs/upstream.md).
 */

/**
 * Every `{action}/{action2}` Kling's own legacy API serves (`GET /v1/{action}/{action2}/{id}`), and
 * whether CometAPI proxies it too (`GET /kling/v1/{action}/{action2}/{id}`). `action2` holds the
 * rest of the path (`avatar/image2video`). CometAPI's come first: their order is the order the API
 * documents its enums in, and the order tests and the demo walk them.
 */
export const PRODUCT_PATHS = [
  { action: "images", action2: "generations", cometapi: true },
  { action: "images", action2: "kolors-virtual-try-on", cometapi: true },
  { action: "videos", action2: "text2video", cometapi: true },
  { action: "videos", action2: "image2video", cometapi: true },
  { action: "videos", action2: "lip-sync", cometapi: true },
  { action: "videos", action2: "effects", cometapi: true },
  { action: "videos", action2: "multi-image2video", cometapi: true },
  { action: "videos", action2: "multi-elements", cometapi: true },
  { action: "videos", action2: "omni-video", cometapi: true },
  { action: "audio", action2: "text-to-audio", cometapi: true },
  { action: "audio", action2: "video-to-audio", cometapi: true },
  { action: "videos", action2: "video-extend", cometapi: false },
  { action: "videos", action2: "avatar/image2video", cometapi: false },
  { action: "videos", action2: "advanced-lip-sync", cometapi: false },
  { action: "images", action2: "omni-image", cometapi: false },
  { action: "images", action2: "multi-image2image", cometapi: false },
  { action: "images", action2: "editing/expand", cometapi: false },
  { action: "general", action2: "ai-multi-shot", cometapi: false },
] as const;

type ProductPathEntry = (typeof PRODUCT_PATHS)[number];
/** Distributes over the entries, so that each entry gives its own path (not every action with every action2). */
type PathOf<E> = E extends { action: infer A extends string; action2: infer B extends string } ? `${A}/${B}` : never;
export type KlingProductPath = PathOf<ProductPathEntry>;
/** An action CometAPI serves. */
export type Action = Extract<ProductPathEntry, { cometapi: true }>["action"];

/** Every product path as Kling's own API names it, `videos/avatar/image2video`. */
export const KLING_PRODUCT_PATHS: readonly KlingProductPath[] = PRODUCT_PATHS.map((p) => `${p.action}/${p.action2}` as KlingProductPath);

export const isKlingProductPath = (value: unknown): value is KlingProductPath =>
  typeof value === "string" && (KLING_PRODUCT_PATHS as readonly string[]).includes(value);

const COMETAPI_PATHS = PRODUCT_PATHS.filter((p) => p.cometapi);

/** Every CometAPI pair as `[action, action2]`, in the order above. */
export const ACTION_PAIR_LIST: readonly (readonly [string, string])[] = COMETAPI_PATHS.map((p) => [p.action, p.action2] as const);

const byAction: Partial<Record<Action, string[]>> = {};
for (const p of COMETAPI_PATHS) byAction[p.action as Action] = [...(byAction[p.action as Action] ?? []), p.action2];
/** CometAPI's `{action}/{action2}` pairs, by action. */
export const ACTION_PAIRS = byAction as Readonly<Record<Action, readonly string[]>>;
export const ACTIONS = Object.keys(ACTION_PAIRS) as Action[];
export const ACTION2S = [...new Set(COMETAPI_PATHS.map((p) => p.action2))];

/** The product paths Kling's own legacy API serves beyond CometAPI's, as `[action, action2]`. */
export const KLING_ONLY_PAIRS: readonly (readonly [string, string])[] = PRODUCT_PATHS.filter((p) => !p.cometapi).map(
  (p) => [p.action, p.action2] as const,
);

/** Every action and every action2 of any product path, CometAPI's first (the request schema's enums). */
export const ALL_ACTIONS = [...new Set(PRODUCT_PATHS.map((p) => p.action))];
export const ALL_ACTION2S = [...new Set(PRODUCT_PATHS.map((p) => p.action2))];

/** Whether `(action, action2)` is one of CometAPI's pairs (`isProductPath` in ./kling.ts asks per provider). */
export const isActionPair = (action: string, action2: string): boolean =>
  COMETAPI_PATHS.some((p) => p.action === action && p.action2 === action2);

/** Whether `(action, action2)` is any product path of Kling's own API. */
export const isKlingPath = (action: string, action2: string): boolean =>
  PRODUCT_PATHS.some((p) => p.action === action && p.action2 === action2);

import { z } from "@hono/zod-openapi";
import { checkCallbackUrl } from "../domain/callback-url";
import { NEW_API_CREATE_PATH } from "../domain/create-outcome";
import { exceedsJsonDepth } from "../domain/json-depth";
import { DEFAULT_EVENTS, EVENT_TYPES, isProductPath, NO_ACTION, PROVIDERS, TASK_ID_PATTERN } from "../domain/kling";
import { ALL_ACTION2S, ALL_ACTIONS } from "../domain/product-paths";
import { isPlainObject } from "./validation";

/**
 * A URL the relay will POST to (a registration's `callback_url`, the operations endpoint's `url`),
 * normalised and checked against the address wall (domain/callback-url.ts), its reason as the
 * field's error. Checked again at each send: the rules may change.
 */
export const callbackUrlField = (allowInsecure: boolean) =>
  z.string().transform((raw, ctx) => {
    const check = checkCallbackUrl(raw, { allowInsecure });
    if (check.ok) return check.url;
    ctx.addIssue({ code: "custom", message: check.reason });
    return z.NEVER;
  });

export const MAX_METADATA_BYTES = 4 * 1024;
export const MAX_METADATA_DEPTH = 32;
/** A create body can carry images as base64 (Kling takes up to 10 MB each): registrations stay at 16 KiB. */
export const MAX_CREATE_BODY_BYTES = 10 * 1024 * 1024;

/** The body of `POST /v1/tasks`; unknown fields are refused so that typos do not pass silently. */
export function registrationSchema(options: { allowInsecureCallbacks: boolean }) {
  return (
    z
      .strictObject({
        task_id: z
          .string()
          .regex(TASK_ID_PATTERN, "must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'")
          .optional()
          .openapi({ description: "The upstream task to watch; or, instead, `create`", example: "878106242831892487" }),
        create: z
          .custom<Record<string, unknown>>(isPlainObject, "must be a JSON object")
          .optional()
          .refine((b) => b === undefined || !exceedsJsonDepth(b, MAX_METADATA_DEPTH), `must nest at most ${MAX_METADATA_DEPTH} levels deep`)
          .openapi({
            type: "object",
            additionalProperties: true,
            description:
              "Instead of `task_id`: the upstream create body for the provider and product (legacy: `action`/`action2`; Kling's new API: `path`). The relay sends it with its own callback URL and an external task id, then registers the task it got. See `Idempotency-Key`.",
            example: { prompt: "a cat surfing at sunset", duration: "5" },
          }),
        path: z
          .string()
          .regex(NEW_API_CREATE_PATH, "must be {text-to-video|image-to-video|omni-video|motion-control}/{model}")
          .optional()
          .openapi({
            description: "With `create` for Kling's new API (provider `kling`, no action pair)",
            example: "text-to-video/kling-3.0-turbo",
          }),
        provider: z
          .enum(PROVIDERS)
          .default("cometapi")
          .openapi({ description: "`cometapi` (default): through CometAPI's proxy; `kling`: Kling's own API" }),
        action: z
          .enum(ALL_ACTIONS as [string, ...string[]])
          .optional()
          .openapi({
            description: "Required for `cometapi`; for `kling`, with `action2` a legacy product, without them a task of the new API",
          }),
        action2: z
          .enum(ALL_ACTION2S as [string, ...string[]])
          .optional()
          .openapi({ description: "The rest of the product path (`avatar/image2video`)" }),
        callback_url: callbackUrlField(options.allowInsecureCallbacks).openapi({
          type: "string",
          format: "uri",
          maxLength: 2048,
          description:
            "Absolute https URL, at most 2048 characters as stored (normalised and percent-encoded), without credentials or port 0. The host is a DNS name under an ICANN public suffix (not localhost, a metadata host, a single label or a private or special-use name such as .internal, .local, .svc, .test, .onion or .arpa) or a public unicast IP address (not in any IANA special-purpose block)",
          example: "https://app.example.com/hooks/kling",
        }),
        // Its size is checked by the route on the exact text that is stored (`exactMetadata`).
        // A custom check rather than z.record: it keeps the parsed object as is (z.record rebuilds it,
        // and assigning a "__proto__" key on the copy silently drops it).
        metadata: z
          .custom<Record<string, unknown>>(isPlainObject, "must be a JSON object")
          .nullable()
          .optional()
          .refine((m) => m == null || !exceedsJsonDepth(m, MAX_METADATA_DEPTH), `must nest at most ${MAX_METADATA_DEPTH} levels deep`)
          .openapi({
            type: "object",
            additionalProperties: true,
            description: `At most ${MAX_METADATA_BYTES} bytes of JSON, nested at most ${MAX_METADATA_DEPTH} levels; echoed in every webhook`,
            example: { user: 42 },
          }),
        archive: z.boolean().optional().openapi({
          description:
            "Copy the task's output files into the relay's R2 bucket before `task.succeeded` goes out; each output then carries `archived_url` (or `archive_error`). Default: the relay's ARCHIVE_DEFAULT. Needs the ARCHIVE bucket, ARCHIVE_LINK_SECRET and PUBLIC_BASE_URL (else 400).",
        }),
        events: z
          .array(z.enum(EVENT_TYPES))
          .min(1, "must list at least one event")
          .optional()
          .transform((events) => (events ? [...new Set(events)] : DEFAULT_EVENTS))
          .openapi({ description: `Default: ${DEFAULT_EVENTS.join(", ")}` }),
      })
      .superRefine((body, ctx) => {
        const { provider, action, action2 } = body;
        if ((body.task_id === undefined) === (body.create === undefined)) {
          ctx.addIssue({ code: "custom", path: ["task_id"], message: "give either task_id or create, not both" });
          return;
        }
        if (body.path !== undefined) {
          if (body.create === undefined) ctx.addIssue({ code: "custom", path: ["path"], message: "is only for create" });
          else if (provider !== "kling" || action !== undefined || action2 !== undefined)
            ctx.addIssue({
              code: "custom",
              path: ["path"],
              message: "is for Kling's new API: provider 'kling' without action and action2",
            });
          return;
        }
        if (body.create !== undefined && provider === "kling" && action === undefined && action2 === undefined) {
          ctx.addIssue({ code: "custom", path: ["path"], message: "is required to create a task of Kling's new API" });
          return;
        }
        if (action === undefined && action2 === undefined) {
          if (provider === "cometapi") ctx.addIssue({ code: "custom", path: ["action"], message: "is required for provider 'cometapi'" });
          return;
        }
        if (action === undefined || action2 === undefined) {
          ctx.addIssue({ code: "custom", path: [action === undefined ? "action" : "action2"], message: "is required with the other" });
          return;
        }
        if (!isProductPath(provider, action, action2)) {
          ctx.addIssue({
            code: "custom",
            path: ["action2"],
            message: `is not a valid action2 for action '${action}' with provider '${provider}'`,
          });
        }
      })
      // A task of Kling's new API is stored without an action pair.
      .transform((body) => ({ ...body, action: body.action ?? NO_ACTION, action2: body.action2 ?? NO_ACTION }))
  );
}

const schemas = new Map<boolean, ReturnType<typeof registrationSchema>>();

/** The schema for this configuration, built once per isolate. */
export function registrationSchemaFor(options: { allowInsecureCallbacks: boolean }) {
  let schema = schemas.get(options.allowInsecureCallbacks);
  if (!schema) {
    schema = registrationSchema(options);
    schemas.set(options.allowInsecureCallbacks, schema);
  }
  return schema;
}

/** What the document shows: the production rules (https callbacks only). */
export const RegistrationSchema = registrationSchema({ allowInsecureCallbacks: false }).openapi("Registration", {
  description: "Registers a callback for a Kling task. Unknown fields are refused.",
});

/** The body of `POST /v1/tasks` as an app sends it. */
export type RegistrationInput = z.input<typeof RegistrationSchema>;

/** Items of one `POST /v1/tasks/batch`. */
export const MAX_BATCH_REGISTRATIONS = 100;
/** The body of one `POST /v1/tasks/batch`: room for 100 registrations with some metadata each. */
export const MAX_BATCH_BODY_BYTES = 512 * 1024;

const batchTasks = <S extends z.ZodType>(item: S) =>
  z
    .array(item, "must be an array of registrations")
    .min(1, "must list at least one registration")
    .max(MAX_BATCH_REGISTRATIONS, `must list at most ${MAX_BATCH_REGISTRATIONS} registrations`);

/**
 * The batch body as the route reads it: only its envelope. Each item is validated on its own by
 * the handler, so one bad item fails only itself.
 */
export const BatchEnvelopeSchema = z.strictObject({ tasks: batchTasks(z.unknown()) });

/** What the document shows (and the typed client sends). */
export const BatchRegistrationSchema = z
  .strictObject({
    tasks: batchTasks(RegistrationSchema).openapi({
      description: `1-${MAX_BATCH_REGISTRATIONS} registrations, each as POST /v1/tasks takes it`,
    }),
  })
  .openapi("BatchRegistration", {
    description: `Up to ${MAX_BATCH_REGISTRATIONS} registrations, at most ${MAX_BATCH_BODY_BYTES / 1024} KiB in all. Unknown fields are refused.`,
  });

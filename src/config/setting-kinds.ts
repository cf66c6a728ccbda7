import { z } from "zod";
import type { FieldNaming } from "./field-names";

/**
 * One setting of the relay: a var (wrangler.toml's `[vars]`) or a secret (`wrangler secret put`),
 * as `settings.ts` declares it. The Worker receives every one as a string, or not at all.
 */
export interface Setting<Value = unknown, Naming extends FieldNaming = FieldNaming> {
  kind: "var" | "secret";
  /** How its field of `Config` is named after it (field-names.ts). */
  naming: Naming;
  /** What unset (or empty) means, as the configuration table shows it; null: nothing is set. */
  default: string | null;
  /** Its line in the configuration table (docs/configuration.md): what it does, its limits. Markdown. */
  description: string;
  /**
   * From the string (or undefined) to the value. A var's issues are reported by its name alone (a
   * mis-set value is never shown); a secret's carry the message, which says what it must be.
   */
  schema: z.ZodType<Value, string | undefined>;
}

/** What a kind below gives: a setting but for its kind and description. */
type Parsed<Value, Naming extends FieldNaming> = Pick<Setting<Value, Naming>, "naming" | "default" | "schema">;

export const varSetting = <Value, Naming extends FieldNaming>(
  parsed: Parsed<Value, Naming>,
  description: string,
): Setting<Value, Naming> => ({
  kind: "var",
  ...parsed,
  description,
});

export const secretSetting = <Value, Naming extends FieldNaming>(
  parsed: Parsed<Value, Naming>,
  description: string,
): Setting<Value, Naming> => ({
  kind: "secret",
  ...parsed,
  description,
});

type Limits = (n: z.ZodNumber) => z.ZodNumber;
const positive: Limits = (n) => n.positive();

/** A number, `fallback` when unset or blank, within `limits` (positive unless they say otherwise). */
const numberOr = (fallback: number, limits: Limits) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : Number(v)))
    .pipe(limits(z.number().finite()));

export const count = (fallback: number, limits: Limits = positive): Parsed<number, "plain"> => ({
  naming: "plain",
  default: String(fallback),
  schema: numberOr(fallback, limits),
});

const MS_PER = { seconds: 1000, hours: 3_600_000, days: 86_400_000 } as const;

/** A duration read in `unit` (the var's name ends in it) and kept in milliseconds. */
export const duration = (unit: keyof typeof MS_PER, fallback: number, limits: Limits = positive): Parsed<number, "ms"> => ({
  naming: "ms",
  default: String(fallback),
  schema: numberOr(fallback, limits).transform((v) => v * MS_PER[unit]),
});

/** Comma-separated seconds (`fallback` when unset or blank), kept in milliseconds: at most `max` of them. */
export const secondsList = (fallback: string, max: number): Parsed<number[], "ms"> => ({
  naming: "ms",
  default: fallback,
  schema: z
    .string()
    .optional()
    .transform((v) =>
      (v?.trim() ? v : fallback)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map(Number),
    )
    .pipe(z.array(z.number().finite().nonnegative()).max(max))
    .transform((seconds) => seconds.map((s) => s * 1000)),
});

const httpUrl = () => z.url({ protocol: /^https?$/ });

/** An http(s) base URL, without its trailing slashes. */
export const baseUrl = (fallback: string): Parsed<string, "plain"> => ({
  naming: "plain",
  default: fallback,
  schema: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : fallback))
    .pipe(httpUrl())
    .transform((v) => v.replace(/\/+$/, "")),
});

/** An http(s) base URL without its trailing slashes, or null when unset. */
export const optionalBaseUrl = (): Parsed<string | null, "plain"> => ({
  naming: "plain",
  default: null,
  schema: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .pipe(httpUrl().optional())
    .transform((v) => (v === undefined ? null : v.replace(/\/+$/, ""))),
});

/** True only for exactly `true`: anything else, even a typo, leaves the safe default. */
export const onlyTrue = (): Parsed<boolean, "plain"> => ({
  naming: "plain",
  default: "false",
  schema: z
    .string()
    .optional()
    .transform((v) => v === "true"),
});

/** `true` or `false` (unset or empty: false); anything else is refused. */
export const trueOrFalse = (): Parsed<boolean, "plain"> => ({
  naming: "plain",
  default: "false",
  schema: z
    .enum(["true", "false", ""])
    .optional()
    .transform((v) => v === "true"),
});

/** A secret as it is, trimmed ("" when unset). */
export const text = <Naming extends "plain" | "none">(naming: Naming): Parsed<string, Naming> => ({
  naming,
  default: null,
  schema: z
    .string()
    .optional()
    .transform((v) => (v ?? "").trim()),
});

/** A trimmed secret of at least `min` characters, or null when unset. */
export const optionalText = (min: number, error: string): Parsed<string | null, "plain"> => ({
  naming: "plain",
  default: null,
  schema: z
    .string()
    .optional()
    .transform((v) => (v ?? "").trim() || null)
    .refine((v) => v === null || v.length >= min, { error }),
});

/** Several secrets in one, split on `separator` (none when unset), which together must pass `valid`. */
export const list = (separator: RegExp, valid: (items: string[]) => boolean, error: string): Parsed<string[], "list"> => ({
  naming: "list",
  default: null,
  schema: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(separator)
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine(valid, { error }),
});

/** The text as it is (undefined when unset), for a value derived from it (`none`). */
export const raw = (): Parsed<string | undefined, "none"> => ({ naming: "none", default: null, schema: z.string().optional() });

import { describe, expect, it } from "vitest";
import { fieldName } from "../../src/config/field-names";
import { settingEntries } from "../../src/config/settings";

describe("the settings table", () => {
  it.each(settingEntries().filter(([, s]) => s.default !== null))("%s: its documented default is what unset means", (_, setting) => {
    expect(setting.schema.parse(undefined)).toEqual(setting.schema.parse(setting.default!));
  });

  const MS_PER_UNIT = { SECONDS: 1000, HOURS: 3_600_000, DAYS: 86_400_000 } as const;
  it.each(settingEntries().filter(([, s]) => s.naming === "ms"))(
    "%s: read in the unit its name says (seconds if none), kept in ms",
    (name, setting) => {
      const unit = (/_(SECONDS|HOURS|DAYS)$/.exec(name)?.[1] ?? "SECONDS") as keyof typeof MS_PER_UNIT;
      expect([setting.schema.parse("2")].flat()).toEqual([2 * MS_PER_UNIT[unit]]);
    },
  );

  it("names each field after its var by one rule", () => {
    expect(fieldName("KLING_BATCH_SIZE", "plain")).toBe("klingBatchSize");
    expect(fieldName("COMETAPI_KEY", "plain")).toBe("cometapiKey");
    expect(fieldName("POLL_MIN_INTERVAL_SECONDS", "ms")).toBe("pollMinIntervalMs");
    expect(fieldName("MAX_TASK_AGE_HOURS", "ms")).toBe("maxTaskAgeMs");
    expect(fieldName("DELIVERY_RETRY_SCHEDULE", "ms")).toBe("deliveryRetryScheduleMs");
    expect(fieldName("INBOUND_TOKEN", "list")).toBe("inboundTokens");
    expect(fieldName("WEBHOOK_SECRETS", "list")).toBe("webhookSecrets");
    expect(fieldName("SECRETS_KEY", "none")).toBeNull();
  });
});

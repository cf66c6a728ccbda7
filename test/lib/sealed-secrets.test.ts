import { describe, expect, it } from "vitest";
import { encodeBase64 } from "../../src/lib/base64";
import {
  deriveFromSecretsKeys,
  isSealed,
  needsReseal,
  openSecret,
  parseSecretsKeys,
  type SecretsKeyring,
  sealSecret,
} from "../../src/lib/sealed-secrets";
import { sha256 } from "../../src/lib/sha256";

const newKey = () => encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
const keyring = (text: string): SecretsKeyring => {
  const parsed = parseSecretsKeys(text);
  if (!parsed) throw new Error("no keyring");
  return parsed;
};
const SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";
const CONTEXT = "endpoint:ep_1:secret";
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("parseSecretsKeys", () => {
  it("is null without SECRETS_KEY", () => {
    expect(parseSecretsKeys(undefined)).toBeNull();
    expect(parseSecretsKeys("  \n ")).toBeNull();
  });

  it("takes one key, or two during a rotation (the new one first), each named by a fingerprint of it", () => {
    const [a, b] = [newKey(), newKey()];
    const one = keyring(a);
    expect(one.current.id).toMatch(/^[0-9a-f]{8}$/);
    expect(one.previous).toBeNull();
    const two = keyring(` ${b}  ${a}\n`);
    expect(two.previous?.id).toBe(one.current.id);
    expect(two.current.id).not.toBe(one.current.id);
    // The same key always has the same id: a row names the key that sealed it across deploys.
    expect(keyring(a).current.id).toBe(one.current.id);
  });

  it("keeps the key's bytes out of anything printed or serialised", () => {
    const key = newKey();
    const printed = `${JSON.stringify(keyring(key))} ${String(Object.values(keyring(key).current))}`;
    expect(printed).not.toContain(key);
    expect(printed).not.toContain(key.slice(0, 12));
  });

  it.each([
    ["not base64", "%%%not-b@se-sixty-four%%%"],
    ["16 bytes", encodeBase64(new Uint8Array(16).fill(7))],
    ["33 bytes", encodeBase64(new Uint8Array(33).fill(7))],
    ["three keys", `${newKey()} ${newKey()} ${newKey()}`],
    ["a good key beside a short one", `${newKey()} ${encodeBase64(new Uint8Array(31).fill(9))}`],
  ])("refuses %s with an error naming SECRETS_KEY, never the value", (_, text) => {
    let error: unknown;
    try {
      parseSecretsKeys(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain("SECRETS_KEY");
    for (const part of text.split(" ")) expect(message).not.toContain(part);
  });

  it("refuses the same key twice", () => {
    const key = newKey();
    expect(() => parseSecretsKeys(`${key} ${key}`)).toThrow(/SECRETS_KEY names the same key twice/);
  });
});

describe("sealSecret and openSecret", () => {
  it("seal to the sealed.v1.<key id> form, never the same twice, and open back", async () => {
    const ring = keyring(newKey());
    const sealed = await sealSecret(ring, SECRET, CONTEXT);
    expect(sealed).toMatch(new RegExp(`^sealed\\.v1\\.${ring.current.id}\\.[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain(SECRET.slice(6, 20));
    expect(isSealed(sealed)).toBe(true);
    expect(await sealSecret(ring, SECRET, CONTEXT)).not.toBe(sealed);
    expect(await openSecret(ring, sealed, CONTEXT)).toBe(SECRET);
  });

  it("pass a value stored in clear (before sealing) through as it is, with or without a keyring", async () => {
    expect(isSealed(SECRET)).toBe(false);
    expect(await openSecret(null, SECRET, CONTEXT)).toBe(SECRET);
    expect(await openSecret(keyring(newKey()), SECRET, CONTEXT)).toBe(SECRET);
  });

  it("do not open a value under another context: a sealed value copied to another row or column", async () => {
    const ring = keyring(newKey());
    const sealed = await sealSecret(ring, SECRET, CONTEXT);
    const error = await openSecret(ring, sealed, "endpoint:ep_2:secret").catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain("endpoint:ep_2:secret");
    expect(String(error)).toContain(ring.current.id);
    expect(String(error)).not.toContain(SECRET);
  });

  it("do not open a tampered value, or one whose key id was changed", async () => {
    const ring = keyring(newKey());
    const sealed = await sealSecret(ring, SECRET, CONTEXT);
    const body = sealed.slice(sealed.lastIndexOf(".") + 1);
    const flipped = `${body.slice(0, 20)}${body[20] === "A" ? "B" : "A"}${body.slice(21)}`;
    await expect(openSecret(ring, sealed.replace(body, flipped), CONTEXT)).rejects.toThrow(/does not open/);
    await expect(openSecret(ring, sealed.replace(body, body.slice(0, 10)), CONTEXT)).rejects.toThrow(/does not open/);
    await expect(openSecret(ring, sealed.replace(ring.current.id, "00000000"), CONTEXT)).rejects.toThrow(
      /sealed with key 00000000, which SECRETS_KEY does not hold/,
    );
    await expect(openSecret(ring, "sealed.v1.nonsense", CONTEXT)).rejects.toThrow(/not in the sealed.v1 form/);
  });

  it("refuse a sealed value without a keyring, or with a keyring that lacks its key, naming the key id", async () => {
    const ring = keyring(newKey());
    const sealed = await sealSecret(ring, SECRET, CONTEXT);
    await expect(openSecret(null, sealed, CONTEXT)).rejects.toThrow(`sealed with key ${ring.current.id}, but SECRETS_KEY is not set`);
    const other = keyring(newKey());
    const error = await openSecret(other, sealed, CONTEXT).catch((e: Error) => e);
    expect(String(error)).toContain(`sealed with key ${ring.current.id}, which SECRETS_KEY does not hold`);
    expect(String(error)).not.toContain(SECRET);
  });

  it("refuse a keyring not made by parseSecretsKeys (no key material behind it)", async () => {
    const forged = { current: { id: "0badc0de" }, previous: null };
    await expect(sealSecret(forged, SECRET, CONTEXT)).rejects.toThrow(/not made by parseSecretsKeys/);
  });
});

describe("a rotation of SECRETS_KEY", () => {
  it("still opens what the previous key sealed, and says it needs sealing again", async () => {
    const [oldKey, newKeyText] = [newKey(), newKey()];
    const before = keyring(oldKey);
    const during = keyring(`${newKeyText} ${oldKey}`);
    const sealedBefore = await sealSecret(before, SECRET, CONTEXT);
    expect(needsReseal(before, sealedBefore)).toBe(false);
    expect(needsReseal(during, sealedBefore)).toBe(true);
    expect(await openSecret(during, sealedBefore, CONTEXT)).toBe(SECRET);

    const resealed = await sealSecret(during, SECRET, CONTEXT);
    expect(resealed).toContain(`.${during.current.id}.`);
    expect(needsReseal(during, resealed)).toBe(false);
    // After the rotation the old key is gone: only what was re-sealed opens.
    const after = keyring(newKeyText);
    expect(await openSecret(after, resealed, CONTEXT)).toBe(SECRET);
    await expect(openSecret(after, sealedBefore, CONTEXT)).rejects.toThrow(before.current.id);
  });

  it("needs a value in clear sealed", () => {
    expect(needsReseal(keyring(newKey()), SECRET)).toBe(true);
  });
});

describe("deriveFromSecretsKeys", () => {
  it("gives the same 32 bytes for the same key and label, other bytes for another label or key, and the previous key's second", async () => {
    const [a, b] = [newKey(), newKey()];
    const [one] = await deriveFromSecretsKeys(keyring(a), "use one");
    expect(one).toHaveLength(32);
    expect(hex((await deriveFromSecretsKeys(keyring(a), "use one"))[0]!)).toBe(hex(one!));
    expect(hex((await deriveFromSecretsKeys(keyring(a), "use two"))[0]!)).not.toBe(hex(one!));
    const rotating = await deriveFromSecretsKeys(keyring(`${b} ${a}`), "use one");
    expect(rotating).toHaveLength(2);
    expect(hex(rotating[0]!)).not.toBe(hex(one!));
    expect(hex(rotating[1]!)).toBe(hex(one!));
  });
});

describe("sha256", () => {
  it("gives FIPS 180-4's answers and Web Crypto's", async () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    expect(hex(sha256(utf8("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(sha256(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    for (const length of [1, 31, 32, 55, 56, 63, 64, 65, 1000]) {
      const data = crypto.getRandomValues(new Uint8Array(length));
      expect(hex(sha256(data))).toBe(hex(new Uint8Array(await crypto.subtle.digest("SHA-256", data))));
    }
  });
});

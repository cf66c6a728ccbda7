-- Written by hand: drizzle-kit splits an index expression at its commas. The expression is
-- ENDPOINT_SEALED_WITH of src/storage/schema.ts, character for character.
CREATE INDEX `endpoints_sealed_with` ON `endpoints` (CASE WHEN substr(secret, 1, 10) = 'sealed.v1.' AND (previous_secret IS NULL OR substr(previous_secret, 1, 19) = substr(secret, 1, 19)) AND (signing_key IS NULL OR substr(signing_key, 1, 19) = substr(secret, 1, 19)) AND (previous_signing_key IS NULL OR substr(previous_signing_key, 1, 19) = substr(secret, 1, 19)) THEN substr(secret, 11, 8) END, `id`);

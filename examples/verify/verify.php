<?php
/**
 * Verifies a webhook from kling-webhook-relay (Standard Webhooks) with PHP's standard extensions
 * only: hash (HMAC-SHA256) and sodium (Ed25519; bundled since PHP 7.2, in Debian's php-cli).
 * verify() is the part to paste into an app; the rest is a small command line around it:
 *
 *   WEBHOOK_KEY=whsec_... WEBHOOK_ID=msg_... WEBHOOK_TIMESTAMP=1781080794 \
 *   WEBHOOK_SIGNATURE='v1,...' php verify.php < body.json
 *
 * prints "verified" and exits 0, or prints why not and exits 1. WEBHOOK_KEY is a whsec_ secret
 * (checks v1 HMAC-SHA256 signatures) or a whpk_ public key (checks v1a Ed25519 ones).
 */

// BEGIN verify
const TOLERANCE_SECONDS = 5 * 60;

/**
 * Whether a webhook is genuine. $key: your "whsec_..." secret or "whpk_..." public key.
 * $id, $timestamp, $signatureHeader: the webhook-id, webhook-timestamp and webhook-signature
 * headers. $body: the raw body, exactly as received (file_get_contents('php://input')).
 */
function verify(string $key, string $id, string $timestamp, string $signatureHeader, string $body, ?int $now = null): bool
{
    if (!ctype_digit($timestamp) || abs(($now ?? time()) - (int) $timestamp) > TOLERANCE_SECONDS) {
        return false;
    }
    $content = "{$id}.{$timestamp}.{$body}";
    // Any one matching entry of the space-separated list will do ("v1,<base64> v1a,<base64> ...").
    foreach (explode(' ', $signatureHeader) as $entry) {
        [$version, $encoded] = array_pad(explode(',', $entry, 2), 2, '');
        $signature = base64_decode($encoded, true);
        if ($signature === false) {
            continue;
        }
        if ($version === 'v1' && str_starts_with($key, 'whsec_')) {
            $secret = base64_decode(substr($key, strlen('whsec_')), true);
            if ($secret !== false && hash_equals(hash_hmac('sha256', $content, $secret, true), $signature)) {
                return true;
            }
        } elseif ($version === 'v1a' && str_starts_with($key, 'whpk_')) {
            $publicKey = base64_decode(substr($key, strlen('whpk_')), true);
            if (
                $publicKey !== false
                && strlen($publicKey) === SODIUM_CRYPTO_SIGN_PUBLICKEYBYTES
                && strlen($signature) === SODIUM_CRYPTO_SIGN_BYTES
                && sodium_crypto_sign_verify_detached($signature, $content, $publicKey)
            ) {
                return true;
            }
        }
    }
    return false;
}
// END verify

$names = ['WEBHOOK_KEY', 'WEBHOOK_ID', 'WEBHOOK_TIMESTAMP', 'WEBHOOK_SIGNATURE'];
$missing = array_values(array_filter($names, fn ($name) => (string) getenv($name) === ''));
if ($missing) {
    echo 'missing ' . implode(', ', $missing) . "\n";
    exit(1);
}
[$key, $id, $timestamp, $signature] = array_map(fn ($name) => getenv($name), $names);
$body = stream_get_contents(STDIN);

if (verify($key, $id, $timestamp, $signature, $body)) {
    echo "verified\n";
    exit(0);
}
if (!str_starts_with($key, 'whsec_') && !str_starts_with($key, 'whpk_')) {
    echo "WEBHOOK_KEY is neither whsec_... nor whpk_...\n";
} elseif (!ctype_digit($timestamp) || abs(time() - (int) $timestamp) > TOLERANCE_SECONDS) {
    echo "webhook-timestamp is not within 5 minutes of now\n";
} else {
    echo "no matching signature\n";
}
exit(1);

// Verifies a webhook from kling-webhook-relay (Standard Webhooks) with Go's standard library only.
// verify is the part to paste into an app; the rest is a small command line around it:
//
//	go build -o verify verify.go
//	WEBHOOK_KEY=whsec_... WEBHOOK_ID=msg_... WEBHOOK_TIMESTAMP=1781080794 \
//	WEBHOOK_SIGNATURE='v1,...' ./verify < body.json
//
// prints "verified" and exits 0, or prints why not and exits 1. WEBHOOK_KEY is a whsec_ secret
// (checks v1 HMAC-SHA256 signatures) or a whpk_ public key (checks v1a Ed25519 ones).
package main

import (
	"fmt"
	"io"
	"os"
)

// BEGIN verify
import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

const toleranceSeconds = 5 * 60

// verify tells whether a webhook is genuine. key: your "whsec_..." secret or "whpk_..." public key.
// id, timestamp, signatureHeader: the webhook-id, webhook-timestamp and webhook-signature headers.
// body: the raw body, exactly as received.
func verify(key, id, timestamp, signatureHeader string, body []byte, now time.Time) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ts < 0 || now.Unix()-ts > toleranceSeconds || ts-now.Unix() > toleranceSeconds {
		return false
	}
	content := append([]byte(id+"."+timestamp+"."), body...)
	// Any one matching entry of the space-separated list will do ("v1,<base64> v1a,<base64> ...").
	for _, entry := range strings.Split(signatureHeader, " ") {
		version, encoded, _ := strings.Cut(entry, ",")
		signature, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			continue
		}
		switch {
		case version == "v1" && strings.HasPrefix(key, "whsec_"):
			secret, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(key, "whsec_"))
			if err != nil {
				return false
			}
			mac := hmac.New(sha256.New, secret)
			mac.Write(content)
			if hmac.Equal(signature, mac.Sum(nil)) {
				return true
			}
		case version == "v1a" && strings.HasPrefix(key, "whpk_"):
			publicKey, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(key, "whpk_"))
			if err != nil || len(publicKey) != ed25519.PublicKeySize {
				return false
			}
			if len(signature) == ed25519.SignatureSize && ed25519.Verify(publicKey, content, signature) {
				return true
			}
		}
	}
	return false
}

// END verify

func main() {
	names := []string{"WEBHOOK_KEY", "WEBHOOK_ID", "WEBHOOK_TIMESTAMP", "WEBHOOK_SIGNATURE"}
	var missing []string
	for _, name := range names {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		fmt.Println("missing " + strings.Join(missing, ", "))
		os.Exit(1)
	}
	key, id, timestamp, signature := os.Getenv(names[0]), os.Getenv(names[1]), os.Getenv(names[2]), os.Getenv(names[3])
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Println("reading the body from stdin: " + err.Error())
		os.Exit(1)
	}
	if verify(key, id, timestamp, signature, body, time.Now()) {
		fmt.Println("verified")
		os.Exit(0)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	switch {
	case !strings.HasPrefix(key, "whsec_") && !strings.HasPrefix(key, "whpk_"):
		fmt.Println("WEBHOOK_KEY is neither whsec_... nor whpk_...")
	case err != nil || time.Since(time.Unix(ts, 0)).Abs() > toleranceSeconds*time.Second:
		fmt.Println("webhook-timestamp is not within 5 minutes of now")
	default:
		fmt.Println("no matching signature")
	}
	os.Exit(1)
}

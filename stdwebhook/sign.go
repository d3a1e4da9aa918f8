package stdwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a Standard Webhooks request.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// signatureVersion marks an HMAC-SHA256 signature ("v1a" would be an
// asymmetric one, which convstore does not send).
const signatureVersion = "v1"

// Sign returns the "v1,<base64>" signature of body under key: the
// HMAC-SHA256 of "{msgID}.{unix seconds of ts}.{body}".
func Sign(key []byte, msgID string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signatureVersion + "," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignatureHeader is the webhook-signature header: one signature per key,
// space-separated, so a receiver holding any of them verifies (the
// overlap of a secret rotation).
func SignatureHeader(keys [][]byte, msgID string, ts time.Time, body []byte) string {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = Sign(k, msgID, ts, body)
	}
	return strings.Join(sigs, " ")
}

// SetHeaders sets the three Standard Webhooks headers of a request, and
// its JSON content type.
func SetHeaders(h http.Header, keys [][]byte, msgID string, ts time.Time, body []byte) {
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, SignatureHeader(keys, msgID, ts, body))
	h.Set("Content-Type", "application/json")
}

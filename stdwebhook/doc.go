// Package stdwebhook is the Standard Webhooks wire format
// (https://www.standardwebhooks.com/, spec version 1.0.0) as convstore
// sends it: secrets written "whsec_<base64>", the signed content
// "{webhook-id}.{webhook-timestamp}.{body}" under HMAC-SHA256, the
// "webhook-signature" header "v1,<base64>" (several, space-separated,
// while a rotated secret's predecessor is still valid), and an HTTP
// client that refuses to dial forbidden addresses (SSRF) after DNS
// resolution, follows no redirect and uses no proxy.
//
// It knows nothing of convstore's events: the service tier builds the
// body and chooses the keys.
package stdwebhook

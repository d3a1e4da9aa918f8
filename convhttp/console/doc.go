// Package console is convstore's web console: the pages privacy officers,
// support leads and on-call engineers use to find what is held about a
// person, answer an erasure request end to end (preview, typed
// confirmation, live progress, receipt as JSON and as a printable page),
// place and release legal holds, edit retention policies with their
// preview, and browse deletion receipts, confirmations and the audit log.
// A dashboard draws deletions per day by door and by cause as server-side
// SVG.
//
// Pages and actions (under /console; the scope each needs in brackets,
// every POST a form with the session's CSRF token):
//
//	GET  /signin, POST /signin          sign in with an API key [public]
//	POST /signout                       end the session [any key]
//	GET  /                              dashboard [any key; charts with read]
//	GET  /find?by=user|external|conversation&q=…   find a person [read]
//	GET  /people?user_id=…              what is held for one end user [read]
//	GET  /conversations/{id}            one conversation's content [read]
//	POST /conversations/{id}/delete     delete it, confirm=delete [delete]
//	GET  /erasures, /erasures/{id}      erasure jobs, one job (polls /status) [read]
//	POST /erasures                      preview (mode=preview) or erase (mode=erase, confirm=user id) [admin]
//	POST /erasures/{id}/cancel          cancel a running job [admin]
//	GET  /erasures/{id}/receipt(.json)  the printable and JSON receipts [read]
//	GET  /holds, POST /holds, POST /holds/{id}/release   legal holds [admin]
//	GET  /retention, POST /retention    retention policies and preview [read; admin to save]
//	GET  /deletions?state=&door=&policy=   deletion receipts [read]
//	GET  /audit?action=&conversation_id=   the audit log [admin]
//	GET  /static/{name}                 the embedded stylesheet and script [public]
//
// It is a door of the shared server (convhttp.Door), mounted at /console
// when the server is started with --console (or on a listener of its own
// with --console-addr), and depends on the service
// tier through convstore.Store only: every page does what the matching
// native route does, with the same scope (read to look, delete to delete a
// conversation, admin for erasures, holds, retention changes and the audit
// log), in the signed-in key's tenant only; another tenant's id answers
// exactly like a missing one.
//
// Sign-in exchanges an API key for a session: an access token of the key
// (convstore.TokenService), so only its SHA-256 is stored, in the database
// every node shares; it lasts SessionTTL, ends at sign-out on every node
// (RevokeAccessToken) and with the key's revocation. The cookie is
// HttpOnly, SameSite=Strict, scoped to /console/, and Secure when served
// over TLS. Every POST form carries a synchronizer token derived from the
// session secret (an HMAC, so nothing more is stored) and is refused when
// cross-origin (net/http's CrossOriginProtection: Sec-Fetch-Site and
// Origin); the sign-in form, which has no session yet, uses a
// double-submit token. Pages are server-rendered with html/template (every
// value escaped: conversation content is attacker-controlled), the one
// stylesheet and script are embedded in the binary, and the
// Content-Security-Policy admits nothing else: no inline script or style,
// no third-party request, no framing.
package console

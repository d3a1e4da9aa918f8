package v1

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// DoorName is the native door's name, recorded in deletion receipts and
// audit entries.
const DoorName = "native"

// Door is the native REST API. It implements convhttp.Door.
type Door struct {
	srv   *convhttp.Server
	store convstore.Store
	cfg   convhttp.Config
}

// New returns the native door serving s's store with s's limits. Mount it
// at the root: s.Mount("/", v1.New(s)).
func New(s *convhttp.Server) *Door {
	return &Door{srv: s, store: s.Store(), cfg: s.Config()}
}

// NewServer returns a server with the native door mounted at the root: the
// whole HTTP surface of a plain convstore deployment (probes, /v1 routes
// and /v1/openapi.json).
func NewServer(cfg convhttp.Config) *convhttp.Server {
	s := convhttp.NewServer(cfg)
	s.Mount("/", New(s))
	return s
}

// Name returns DoorName.
func (d *Door) Name() string { return DoorName }

// Secret returns the Bearer token of the Authorization header.
func (d *Door) Secret(r *http.Request) string { return convhttp.BearerSecret(r) }

// WriteError writes err as application/problem+json.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	convhttp.WriteProblem(w, r, err)
}

// Scopes of the routes, named for the table's readability.
const (
	public = convstore.Scope("")
	read   = convstore.ScopeRead
	write  = convstore.ScopeWrite
	del    = convstore.ScopeDelete
	admin  = convstore.ScopeAdmin
	cnfrm  = convstore.ScopeConfirm
	anyKey = convhttp.AnyScope
)

// Path patterns of the native API.
const (
	pathConversations = "/v1/conversations"
	pathConversation  = pathConversations + "/{conversation_id}"
	pathLookup        = pathConversations + "/lookup"
	pathCount         = pathConversations + "/count"
	pathRestore       = pathConversation + "/restore"
	pathMessages      = pathConversation + "/messages"
	pathMessage       = pathMessages + "/{message_id}"
	pathMessageByID   = "/v1/messages/{message_id}"
	pathArtifacts     = pathConversation + "/artifacts"
	pathArtifact      = pathArtifacts + "/{artifact_id}"
	pathArtifactByID  = "/v1/artifacts/{artifact_id}"
	pathAttachments   = pathConversation + "/attachments"
	pathAttachment    = pathAttachments + "/{name}"
	pathDeletions     = "/v1/deletions"
	pathDeletion      = pathDeletions + "/{deletion_id}"
	pathConfirmations = pathDeletion + "/confirmations"
	pathProcessors    = "/v1/processors"
	pathProcessor     = pathProcessors + "/{processor}"
	pathAudit         = "/v1/audit"
	pathEvents        = "/v1/events"
	pathErasures      = "/v1/erasures"
	pathErasure       = pathErasures + "/{erasure_id}"
	pathErasureCancel = pathErasure + "/cancel"
	pathKeys          = "/v1/keys"
	pathRetention     = "/v1/retention"
	pathCORS          = "/v1/cors"
	pathRetentionView = pathRetention + "/preview"
	pathKey           = pathKeys + "/{key_id}"
	pathMe            = "/v1/me"
	pathHolds         = "/v1/holds"
	pathHold          = pathHolds + "/{hold_id}"
	pathWebhooks      = "/v1/webhooks"
	pathWebhook       = pathWebhooks + "/{webhook_id}"
	pathWebhookRotate = pathWebhook + "/rotate_secret"
	pathWebhookTest   = pathWebhook + "/test"
	pathDeliveries    = pathWebhook + "/deliveries"
	pathDelivery      = pathDeliveries + "/{delivery_id}"
	pathReplay        = pathDelivery + "/replay"
	pathOpenAPI       = "/v1/openapi.json"
)

// Routes is the native API's one route table. GET routes also answer HEAD.
// Every answer to an authenticated route names the caller's tenant in
// api.TenantHeader.
func (d *Door) Routes() []convhttp.Route {
	routes := d.routes()
	for i := range routes {
		if routes[i].Scope != public {
			routes[i].Handler = withTenantHeader(routes[i].Handler)
		}
	}
	return routes
}

// withTenantHeader sets api.TenantHeader before h answers.
func withTenantHeader(h convhttp.HandlerFunc) convhttp.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set(api.TenantHeader, convhttp.Tenant(r).Format(convstore.PrefixTenant))
		return h(w, r)
	}
}

// routes lists the routes with their scopes and handlers.
func (d *Door) routes() []convhttp.Route {
	return []convhttp.Route{
		{Method: http.MethodGet, Path: pathOpenAPI, Scope: public, Handler: d.getOpenAPI},

		{Method: http.MethodPost, Path: pathConversations, Scope: write, Handler: d.createConversation},
		{Method: http.MethodGet, Path: pathConversations, Scope: read, Handler: d.listConversations},
		{Method: http.MethodGet, Path: pathConversation, Scope: read, Handler: d.getConversation},
		{Method: http.MethodGet, Path: pathLookup, Scope: read, Handler: d.lookupConversation},
		{Method: http.MethodGet, Path: pathCount, Scope: read, Handler: d.countConversations},
		{Method: http.MethodPatch, Path: pathConversation, Scope: write, Handler: d.updateConversation},
		{Method: http.MethodDelete, Path: pathConversation, Scope: del, Handler: d.deleteConversation},
		// Restore undoes a delete: the same scope, so a key that may only
		// write cannot bring back what another key deleted.
		{Method: http.MethodPost, Path: pathRestore, Scope: del, Handler: d.restoreConversation},

		{Method: http.MethodPost, Path: pathMessages, Scope: write, Handler: d.createMessages},
		{Method: http.MethodGet, Path: pathMessages, Scope: read, Handler: d.listMessages},
		{Method: http.MethodGet, Path: pathMessage, Scope: read, Handler: d.getMessage},
		{Method: http.MethodGet, Path: pathMessageByID, Scope: read, Handler: d.getMessageByID},
		{Method: http.MethodDelete, Path: pathMessage, Scope: del, Handler: d.deleteMessage},

		{Method: http.MethodPost, Path: pathArtifacts, Scope: write, Handler: d.createArtifact},
		{Method: http.MethodGet, Path: pathArtifacts, Scope: read, Handler: d.listArtifacts},
		{Method: http.MethodGet, Path: pathArtifact, Scope: read, Handler: d.getArtifact},
		{Method: http.MethodGet, Path: pathArtifactByID, Scope: read, Handler: d.getArtifactByID},
		{Method: http.MethodDelete, Path: pathArtifact, Scope: del, Handler: d.deleteArtifact},

		{Method: http.MethodGet, Path: pathAttachments, Scope: read, Handler: d.listAttachments},
		{Method: http.MethodPut, Path: pathAttachment, Scope: write, Handler: d.putAttachment, Transfer: convhttp.TransferUpload},
		{Method: http.MethodGet, Path: pathAttachment, Scope: read, Handler: d.getAttachment, Transfer: convhttp.TransferDownload},
		{Method: http.MethodDelete, Path: pathAttachment, Scope: del, Handler: d.deleteAttachment},

		{Method: http.MethodGet, Path: pathDeletions, Scope: read, Handler: d.listDeletions},
		{Method: http.MethodGet, Path: pathDeletion, Scope: read, Handler: d.getDeletion},
		{Method: http.MethodPost, Path: pathConfirmations, Scope: cnfrm, Handler: d.confirmDeletion},
		{Method: http.MethodPost, Path: pathProcessors, Scope: admin, Handler: d.createProcessor},
		{Method: http.MethodGet, Path: pathProcessors, Scope: admin, Handler: d.listProcessors},
		{Method: http.MethodGet, Path: pathProcessor, Scope: admin, Handler: d.getProcessor},
		{Method: http.MethodPatch, Path: pathProcessor, Scope: admin, Handler: d.updateProcessor},
		{Method: http.MethodDelete, Path: pathProcessor, Scope: admin, Handler: d.deleteProcessor},
		{Method: http.MethodGet, Path: pathAudit, Scope: admin, Handler: d.listAudit},
		{Method: http.MethodGet, Path: pathEvents, Scope: admin, Handler: d.listEvents},

		{Method: http.MethodGet, Path: pathRetention, Scope: read, Handler: d.getRetention},
		{Method: http.MethodPut, Path: pathRetention, Scope: admin, Handler: d.putRetention},
		{Method: http.MethodGet, Path: pathRetentionView, Scope: read, Handler: d.previewRetention},
		{Method: http.MethodPost, Path: pathRetentionView, Scope: admin, Handler: d.previewRetentionDraft},
		{Method: http.MethodGet, Path: pathCORS, Scope: read, Handler: d.getCORS},
		{Method: http.MethodPut, Path: pathCORS, Scope: admin, Handler: d.putCORS},
		{Method: http.MethodPost, Path: pathErasures, Scope: admin, Handler: d.createErasure, Idempotent: true},
		{Method: http.MethodGet, Path: pathErasures, Scope: read, Handler: d.listErasures},
		{Method: http.MethodGet, Path: pathErasure, Scope: read, Handler: d.getErasure},
		{Method: http.MethodPost, Path: pathErasureCancel, Scope: admin, Handler: d.cancelErasure},

		{Method: http.MethodPost, Path: pathKeys, Scope: admin, Handler: d.createKey},
		{Method: http.MethodGet, Path: pathKeys, Scope: admin, Handler: d.listKeys},
		{Method: http.MethodDelete, Path: pathKey, Scope: admin, Handler: d.deleteKey},
		{Method: http.MethodGet, Path: pathMe, Scope: anyKey, Handler: d.getMe},

		{Method: http.MethodPost, Path: pathHolds, Scope: admin, Handler: d.createHold},
		{Method: http.MethodGet, Path: pathHolds, Scope: admin, Handler: d.listHolds},
		{Method: http.MethodGet, Path: pathHold, Scope: admin, Handler: d.getHold},
		{Method: http.MethodDelete, Path: pathHold, Scope: admin, Handler: d.deleteHold},

		{Method: http.MethodPost, Path: pathWebhooks, Scope: admin, Handler: d.createWebhook},
		{Method: http.MethodGet, Path: pathWebhooks, Scope: admin, Handler: d.listWebhooks},
		{Method: http.MethodGet, Path: pathWebhook, Scope: admin, Handler: d.getWebhook},
		{Method: http.MethodPatch, Path: pathWebhook, Scope: admin, Handler: d.updateWebhook},
		{Method: http.MethodDelete, Path: pathWebhook, Scope: admin, Handler: d.deleteWebhook},
		{Method: http.MethodPost, Path: pathWebhookRotate, Scope: admin, Handler: d.rotateWebhookSecret},
		{Method: http.MethodPost, Path: pathWebhookTest, Scope: admin, Handler: d.testWebhook},
		{Method: http.MethodGet, Path: pathDeliveries, Scope: admin, Handler: d.listWebhookDeliveries},
		{Method: http.MethodGet, Path: pathDelivery, Scope: admin, Handler: d.getWebhookDelivery},
		{Method: http.MethodPost, Path: pathReplay, Scope: admin, Handler: d.replayWebhookDelivery},
	}
}

// getOpenAPI serves the checked-in OpenAPI document.
func (d *Door) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(api.OpenAPI)
	return nil
}

// created writes a 201 JSON body.
func created(w http.ResponseWriter, v any) error { return convhttp.WriteJSON(w, http.StatusCreated, v) }

// ok writes a 200 JSON body.
func ok(w http.ResponseWriter, v any) error { return convhttp.WriteJSON(w, http.StatusOK, v) }

// newList builds a list response; Data is [] (never null) when empty.
func newList[D, T any](items []D, more bool, conv func(D) T, id func(*T) string) api.List[T] {
	l := api.List[T]{Object: api.ObjectList, Data: make([]T, 0, len(items)), HasMore: more}
	for _, it := range items {
		l.Data = append(l.Data, conv(it))
	}
	if n := len(l.Data); n > 0 {
		first, last := id(&l.Data[0]), id(&l.Data[n-1])
		l.FirstID, l.LastID = &first, &last
	}
	return l
}

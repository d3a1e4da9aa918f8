package inkeep

import (
	"net/http"
	"slices"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// CORS: a browser integration calls the door cross-origin, so a browser
// first sends a preflight (OPTIONS), which carries no credential and so
// cannot name its tenant. The door answers it with the CORS headers when
// some tenant allows the request's Origin (PUT /v1/cors), and otherwise
// without them, which the browser takes as a refusal. The actual request
// carries the key: it gets Access-Control-Allow-Origin only when the key's
// own tenant allows the Origin, so an origin one tenant allows reads no
// other tenant's answers. The allowed origin is echoed, never "*", and no
// credentials mode is offered (the key travels in Authorization, which the
// preflight allows). Answers that depend on Origin say so in Vary.
const (
	corsAllowHeaders  = "Authorization, Content-Type, Accept, Idempotency-Key, X-Request-Id"
	corsExposeHeaders = "X-Request-Id, Retry-After, Allow"
	corsMaxAge        = "600"
)

// preflightRoutes returns an OPTIONS route for every path of routes, which
// answers preflights for the methods of that path.
func (d *Door) preflightRoutes(routes []convhttp.Route) []convhttp.Route {
	methods := map[string][]string{}
	var paths []string
	for _, rt := range routes {
		if methods[rt.Path] == nil {
			paths = append(paths, rt.Path)
		}
		methods[rt.Path] = append(methods[rt.Path], rt.Method)
		if rt.Method == http.MethodGet {
			methods[rt.Path] = append(methods[rt.Path], http.MethodHead)
		}
	}
	out := make([]convhttp.Route, 0, len(paths))
	for _, p := range paths {
		allow := strings.Join(append(methods[p], http.MethodOptions), ", ")
		out = append(out, convhttp.Route{Method: http.MethodOptions, Path: p, Handler: d.preflight(allow)})
	}
	return out
}

// preflight answers OPTIONS on a path whose methods are allow: 204 with
// Allow, and for a CORS preflight from an origin some tenant allows, the
// CORS headers.
func (d *Door) preflight(allow string) convhttp.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		h := w.Header()
		h.Set("Allow", allow)
		origin := r.Header.Get("Origin")
		if origin != "" {
			h.Add("Vary", "Origin")
		}
		if origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			ok, err := d.store.CORSOriginAllowed(r.Context(), origin)
			if err != nil {
				return err
			}
			if ok {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", allow)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// withCORS adds Access-Control-Allow-Origin to the answers of h when the
// request's Origin is one the key's tenant allows.
func (d *Door) withCORS(h convhttp.HandlerFunc) convhttp.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		origin := r.Header.Get("Origin")
		if origin == "" {
			return h(w, r)
		}
		w.Header().Add("Vary", "Origin")
		if n, err := convstore.NormalizeOrigin(origin); err == nil {
			allowed, err := d.store.FindCORSOrigins(r.Context(), convhttp.Tenant(r))
			if err != nil {
				return err
			}
			if slices.Contains(allowed, n) {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
		}
		return h(w, r)
	}
}

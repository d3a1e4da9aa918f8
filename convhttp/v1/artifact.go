package v1

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// createArtifact serves POST …/artifacts: 201 with the artifact.
func (d *Door) createArtifact(w http.ResponseWriter, r *http.Request) error {
	cid, err := conversationID(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.ArtifactCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.MessageIDs) > convstore.MaxArtifactRefs {
		return convstore.Invalidf("message_ids", "message_ids must have at most %d ids", convstore.MaxArtifactRefs)
	}
	c, err := api.ToArtifactCreate(&in)
	if err != nil {
		return err
	}
	if string(c.Data) == "null" {
		c.Data = nil // a JSON null is no data
	}
	if err := c.Validate(); err != nil {
		return err
	}
	a, err := d.store.CreateArtifact(r.Context(), convhttp.Tenant(r), cid, c)
	if err != nil {
		return err
	}
	return created(w, api.FromArtifact(a))
}

// listArtifacts serves GET …/artifacts, oldest first by default, with an
// optional type filter.
func (d *Door) listArtifacts(w http.ResponseWriter, r *http.Request) error {
	cid, err := conversationID(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r, withPage("type")...)
	if err != nil {
		return err
	}
	var f convstore.ArtifactFilter
	if s, ok, _ := q.String("type"); ok { // a repeated type was refused by parseQuery
		f.Type = convstore.ArtifactType(s)
		if !f.Type.Valid() {
			return invalidParam("type", "type must be one of summary, topic, insight, action_item, question, follow_up, analysis, entity, other.")
		}
	}
	if f.PageFilter, err = page(q, convstore.PrefixArtifact, convstore.OrderAsc); err != nil {
		return err
	}
	arts, more, err := d.store.FindArtifacts(r.Context(), convhttp.Tenant(r), cid, f)
	if err != nil {
		return err
	}
	return ok(w, newList(arts, more, api.FromArtifact, func(a *api.Artifact) string { return a.ID }))
}

// artifactPath parses {conversation_id} and {artifact_id} and rejects any
// query parameter.
func artifactPath(r *http.Request) (cid, aid convstore.ID, err error) {
	if cid, err = conversationID(r); err != nil {
		return
	}
	if aid, err = pathID(r, "artifact_id", convstore.PrefixArtifact); err != nil {
		return
	}
	_, err = parseQuery(r)
	return
}

// getArtifact serves GET …/artifacts/{artifact_id}.
func (d *Door) getArtifact(w http.ResponseWriter, r *http.Request) error {
	cid, aid, err := artifactPath(r)
	if err != nil {
		return err
	}
	a, err := d.store.FindArtifactByID(r.Context(), convhttp.Tenant(r), cid, aid)
	if err != nil {
		return err
	}
	return ok(w, api.FromArtifact(a))
}

// getArtifactByID serves GET /v1/artifacts/{artifact_id}: an artifact
// found by its id alone, in whichever conversation of the tenant holds it.
func (d *Door) getArtifactByID(w http.ResponseWriter, r *http.Request) error {
	aid, err := pathID(r, "artifact_id", convstore.PrefixArtifact)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	a, err := d.store.FindArtifactByID(r.Context(), convhttp.Tenant(r), convstore.ID{}, aid)
	if err != nil {
		return err
	}
	return ok(w, api.FromArtifact(a))
}

// deleteArtifact serves DELETE …/artifacts/{artifact_id}.
func (d *Door) deleteArtifact(w http.ResponseWriter, r *http.Request) error {
	cid, aid, err := artifactPath(r)
	if err != nil {
		return err
	}
	if err := d.store.DeleteArtifact(r.Context(), convhttp.Tenant(r), cid, aid, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return ok(w, api.Deleted{ID: aid.Format(convstore.PrefixArtifact), Object: api.ObjectArtifactDeleted, Deleted: true})
}

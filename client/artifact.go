package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// FindArtifactByID returns one artifact (GET
// /v1/conversations/{id}/artifacts/{artifact_id}); a zero conversationID
// finds it in any conversation of the tenant (GET /v1/artifacts/{id}).
// ENOTFOUND if missing.
func (c *Client) FindArtifactByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Artifact, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("artifact")
	}
	path := pathf("/v1/artifacts/%s", id.Format(convstore.PrefixArtifact))
	if !conversationID.IsZero() {
		path = artifactPath(conversationID, id)
	}
	var out api.Artifact
	if err := c.do(ctx, request{method: http.MethodGet, path: path, out: &out}); err != nil {
		return nil, err
	}
	return api.ToArtifact(&out), nil
}

// FindArtifacts returns a page of a conversation's artifacts (GET
// /v1/conversations/{id}/artifacts), of one type if f.Type is set, and
// whether more follow. ENOTFOUND if the conversation is missing.
func (c *Client) FindArtifacts(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.ArtifactFilter) ([]*convstore.Artifact, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, false, err
	}
	if !ok || conversationID.IsZero() {
		return nil, false, convstore.NotFound("conversation")
	}
	q := url.Values{}
	if f.Type != "" {
		q.Set("type", string(f.Type))
	}
	var out api.List[api.Artifact]
	if err := c.do(ctx, request{method: http.MethodGet, path: artifactsPath(conversationID), query: pageQuery(q, f.PageFilter, convstore.PrefixArtifact), out: &out}); err != nil {
		return nil, false, err
	}
	arts := make([]*convstore.Artifact, len(out.Data))
	for i := range out.Data {
		arts[i] = api.ToArtifact(&out.Data[i])
	}
	return arts, out.HasMore, nil
}

// CreateArtifact adds derived data (a summary, topic, insight…) to a
// conversation (POST /v1/conversations/{id}/artifacts). ENOTFOUND if the
// conversation is missing, EINVALID for bad input.
func (c *Client) CreateArtifact(ctx context.Context, tenantID, conversationID convstore.ID, in *convstore.ArtifactCreate) (*convstore.Artifact, error) {
	if in == nil {
		return nil, convstore.Invalidf("body", "artifact is missing")
	}
	if err := checkCarried(in, in.Validate); err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || conversationID.IsZero() {
		return nil, convstore.NotFound("conversation")
	}
	body := api.ArtifactCreate{Type: string(in.Type), Text: in.Text, Data: in.Data, Score: in.Score}
	for _, id := range in.MessageIDs {
		body.MessageIDs = append(body.MessageIDs, id.Format(convstore.PrefixMessage))
	}
	var out api.Artifact
	if err := c.do(ctx, request{method: http.MethodPost, path: artifactsPath(conversationID), in: body, out: &out}); err != nil {
		return nil, err
	}
	return api.ToArtifact(&out), nil
}

// DeleteArtifact permanently deletes one artifact (DELETE
// /v1/conversations/{id}/artifacts/{artifact_id}). ENOTFOUND if missing.
// Only p.ClientRequestID is sent (see the package documentation).
func (c *Client) DeleteArtifact(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	rid, err := requestID(p)
	if err != nil {
		return err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if !ok || conversationID.IsZero() || id.IsZero() {
		return convstore.NotFound("artifact")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: artifactPath(conversationID, id), requestID: rid})
}

func artifactsPath(convID convstore.ID) string {
	return conversationPath(convID) + "/artifacts"
}

func artifactPath(convID, id convstore.ID) string {
	return artifactsPath(convID) + pathf("/%s", id.Format(convstore.PrefixArtifact))
}

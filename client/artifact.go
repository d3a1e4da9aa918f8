package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// CreateArtifact adds derived data (a summary, topic, insight…) to a
// conversation. ENOTFOUND if the conversation is missing, EINVALID for bad
// input.
func (c *Client) CreateArtifact(ctx context.Context, convID convstore.ID, in *convstore.ArtifactCreate) (*convstore.Artifact, error) {
	body := api.ArtifactCreate{Type: string(in.Type), Text: in.Text, Data: in.Data, Score: in.Score}
	for _, id := range in.MessageIDs {
		body.MessageIDs = append(body.MessageIDs, id.Format(convstore.PrefixMessage))
	}
	var out api.Artifact
	if err := c.doJSON(ctx, http.MethodPost, artifactsPath(convID), nil, body, &out); err != nil {
		return nil, err
	}
	return api.ToArtifact(&out), nil
}

// ListArtifacts returns a page of a conversation's artifacts, of one type
// if f.Type is set, and whether more follow.
func (c *Client) ListArtifacts(ctx context.Context, convID convstore.ID, f convstore.ArtifactFilter) ([]*convstore.Artifact, bool, error) {
	q := url.Values{}
	if f.Type != "" {
		q.Set("type", string(f.Type))
	}
	q = pageQuery(q, f.PageFilter, convstore.PrefixArtifact)
	var out api.List[api.Artifact]
	if err := c.doJSON(ctx, http.MethodGet, artifactsPath(convID), q, nil, &out); err != nil {
		return nil, false, err
	}
	arts := make([]*convstore.Artifact, len(out.Data))
	for i := range out.Data {
		arts[i] = api.ToArtifact(&out.Data[i])
	}
	return arts, out.HasMore, nil
}

// GetArtifact returns one artifact. ENOTFOUND if missing.
func (c *Client) GetArtifact(ctx context.Context, convID, id convstore.ID) (*convstore.Artifact, error) {
	var out api.Artifact
	if err := c.doJSON(ctx, http.MethodGet, artifactPath(convID, id), nil, nil, &out); err != nil {
		return nil, err
	}
	return api.ToArtifact(&out), nil
}

// DeleteArtifact permanently deletes one artifact. ENOTFOUND if missing.
func (c *Client) DeleteArtifact(ctx context.Context, convID, id convstore.ID) error {
	return c.doJSON(ctx, http.MethodDelete, artifactPath(convID, id), nil, nil, nil)
}

func artifactsPath(convID convstore.ID) string {
	return conversationPath(convID) + "/artifacts"
}

func artifactPath(convID, id convstore.ID) string {
	return artifactsPath(convID) + pathf("/%s", id.Format(convstore.PrefixArtifact))
}

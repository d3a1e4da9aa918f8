package driver

import (
	"context"

	"github.com/convstore/convstore"
)

// DigestInTurn is ConversationDigestList as calls of r in turn: the list,
// then the ends, newest artifacts and authors of the conversations listed. For an
// engine in process, or a read outside a transaction.
func DigestInTurn(ctx context.Context, r Reader, p *ConversationDigestListParams) (*ConversationDigestRows, error) {
	rows, err := r.ConversationList(ctx, &p.List)
	if err != nil {
		return nil, err
	}
	out := &ConversationDigestRows{Conversations: rows}
	ids := make([]convstore.ID, len(rows))
	var withMessages []convstore.ID // the others have no ends to search
	for i, c := range rows {
		ids[i] = c.ID
		if c.MessageCount > 0 {
			withMessages = append(withMessages, c.ID)
		}
	}
	if out.Ends, err = r.MessageListEnds(ctx, &MessageListEndsParams{TenantID: p.List.TenantID, ConversationIDs: withMessages,
		First: p.First, Last: p.Last}); err != nil {
		return nil, err
	}
	if len(p.Types) > 0 {
		if out.Newest, err = r.ArtifactNewest(ctx, &ArtifactNewestParams{TenantID: p.List.TenantID, ConversationIDs: ids, Types: p.Types}); err != nil {
			return nil, err
		}
	}
	if p.Authors {
		if out.Authors, err = r.AuthorList(ctx, p.List.TenantID, ids); err != nil {
			return nil, err
		}
		if out.Pending, err = r.AuthorPendingIn(ctx, p.List.TenantID, ids); err != nil {
			return nil, err
		}
	}
	return out, nil
}

package postgres

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// ConversationKeyGetMany passes the ids as one bytea[] argument: one
// statement text for any number of ids.
func (o *ops) ConversationKeyGetMany(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) ([]*driver.ConversationKey, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return list(ctx, o, newQuery(`SELECT `+convKeyColumns+` FROM conversation_keys
		WHERE tenant_id = $1 AND conversation_id = ANY ($2::bytea[])`, idArg(tenantID), idsArg(ids)), scanConvKey)
}

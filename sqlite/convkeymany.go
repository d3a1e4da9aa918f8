package sqlite

import (
	"context"
	"encoding/hex"
	"encoding/json"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// qConvKeyGetMany takes the ids as one JSON argument (json_each): one
// statement, prepared once, for any number of ids (see listRanges).
var qConvKeyGetMany = stmt(`SELECT tenant_id, conversation_id, epoch, wrapped_key, created_at FROM conversation_keys
	WHERE tenant_id = ? AND conversation_id IN (SELECT unhex(value) FROM json_each(?))`)

func (o *ops) ConversationKeyGetMany(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) ([]*driver.ConversationKey, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	hexIDs := make([]string, len(ids))
	for i, id := range ids {
		hexIDs[i] = hex.EncodeToString(idArg(id))
	}
	js, err := json.Marshal(hexIDs)
	if err != nil {
		return nil, err
	}
	return list(ctx, o, qConvKeyGetMany, []any{idArg(tenantID), string(js)}, scanConvKey)
}

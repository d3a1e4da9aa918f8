package sqlite

import (
	"context"

	"github.com/convstore/convstore/driver"
)

// ConversationDigestList runs the list, then the ends and the newest
// artifacts of the conversations listed: statements in process, which no
// round trip separates. Outside a transaction it opens a read transaction
// of its own, so that the three read one snapshot.
func (o *ops) ConversationDigestList(ctx context.Context, p *driver.ConversationDigestListParams) (*driver.ConversationDigestRows, error) {
	if o.run.tx != nil {
		return driver.DigestInTurn(ctx, o, p)
	}
	var out *driver.ConversationDigestRows
	err := o.db.Read(ctx, func(ctx context.Context, r driver.Reader) (err error) {
		out, err = driver.DigestInTurn(ctx, r, p)
		return err
	})
	return out, err
}

package sqlite

import (
	"context"

	"github.com/convstore/convstore/driver"
)

// ConversationDigestList runs the list, then the ends and the newest
// artifacts of the conversations listed (or, for at most one message from
// each end, digestOneRow's two statements): statements in process, which
// no round trip separates. Outside a transaction it opens a read
// transaction of its own, so that they read one snapshot.
func (o *ops) ConversationDigestList(ctx context.Context, p *driver.ConversationDigestListParams) (*driver.ConversationDigestRows, error) {
	if o.run.tx != nil {
		return o.digest(ctx, p)
	}
	var out *driver.ConversationDigestRows
	err := o.db.read(ctx, func(ctx context.Context, r *ops) (err error) {
		out, err = r.digest(ctx, p)
		return err
	})
	return out, err
}

// digest reads p's digest in o's transaction.
func (o *ops) digest(ctx context.Context, p *driver.ConversationDigestListParams) (*driver.ConversationDigestRows, error) {
	if oneRowDigest(p) {
		return o.digestOneRow(ctx, p)
	}
	return driver.DigestInTurn(ctx, o, p)
}

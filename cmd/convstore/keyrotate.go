package main

import (
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// keysRotateLeaf is "convstore keys rotate": offline, on the configured
// store and its keyring.
var keysRotateLeaf = &leaf{name: "rotate", summary: "Start a new key epoch, re-wrap every data key, destroy expired epochs (offline).",
	help: keysRotateHelp, timeout: noTimeout, offline: keysRotate}

const keysRotateHelp = `Start a new key epoch in the store's keyring (--keyring), wrap every live
conversation's data key again under it, in small batches that interleave with
the server's writes, and destroy the epochs retired for longer than
--key-retention once no live data key needs them, stamping shredded_at on the
receipts of the conversations they shred. A server does this by itself every
--key-epoch; this command does it now, and may run while the server runs.
Interrupted, it carries on where it stopped when run again.

--key-retention 0 destroys every retired epoch at once: deleted content is
then unrecoverable from every copy (WAL, replicas, backups) at once, and
every backup becomes unreadable unless restored over the live database. Use
it only when no other node that shares the keyring is running, or they all
reloaded it (they do every minute).`

// rotationJSON is the --json form of a rotation.
type rotationJSON struct {
	Epoch            uint32   `json:"epoch"`
	Rotated          bool     `json:"rotated"`
	Rewrapped        int      `json:"rewrapped"`
	DestroyedEpochs  []uint32 `json:"destroyed_epochs"`
	BlockedEpoch     *uint32  `json:"blocked_epoch"`
	ReceiptsShredded int      `json:"receipts_shredded"`
}

func keysRotate(x *call, store convstore.Store) error {
	svc, ok := store.(*service.Service)
	if !ok {
		return errors.New("keys rotate needs a local store")
	}
	retention := x.sf.cfg.KeyRetention
	if retention == 0 {
		retention = -1 // RotateKeys: at once
	}
	out, err := svc.RotateKeys(x.ctx, retention)
	if err != nil {
		return err
	}
	j := rotationJSON{Epoch: out.Current.ID, Rotated: out.Rotated, Rewrapped: out.Rewrapped, DestroyedEpochs: []uint32{},
		ReceiptsShredded: out.Shredded}
	for _, e := range out.Destroyed {
		j.DestroyedEpochs = append(j.DestroyedEpochs, e.ID)
	}
	if out.Blocked != 0 {
		j.BlockedEpoch = &out.Blocked
	}
	return x.print(j, func(w io.Writer) error {
		ids := make([]string, len(j.DestroyedEpochs))
		for i, e := range j.DestroyedEpochs {
			ids[i] = strconv.FormatUint(uint64(e), 10)
		}
		blocked := "-"
		if j.BlockedEpoch != nil {
			blocked = strconv.FormatUint(uint64(*j.BlockedEpoch), 10) + " (still wraps live data keys)"
		}
		return fields(w,
			"epoch", strconv.FormatUint(uint64(j.Epoch), 10),
			"rewrapped", itoa(j.Rewrapped),
			"destroyed_epochs", orDash(strings.Join(ids, ",")),
			"blocked_epoch", blocked,
			"receipts_shredded", itoa(j.ReceiptsShredded),
		)
	})
}

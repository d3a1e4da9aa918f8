package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// keysRotateIndexLeaf is "convstore keys rotate-index": offline, on the
// configured store and its keyring.
var keysRotateIndexLeaf = &leaf{name: "rotate-index",
	summary: "Start a new blind-index root, re-index every conversation under it, destroy the old root (offline).",
	help:    keysRotateIndexHelp, timeout: noTimeout, offline: keysRotateIndex}

const keysRotateIndexHelp = `Start a new index root in the store's keyring (--keyring): the key the
blind indexes of user ids, external ids, attachment names and metadata
pairs are computed under, per tenant. Then recompute every conversation's
indexes under it from its sealed values, one conversation per short
transaction, and destroy the old root once none is left under it. Progress
goes to stderr.

Stop the servers of the store first: a server reads the index roots when it
starts. Interrupted, the re-index is resumed by the next server start or by
running this command again (which then finishes it without rotating again).
Meanwhile every lookup computes its index under each live root and matches
any, so answers stay the same.`

// reindexJSON is the --json form of a re-index.
type reindexJSON struct {
	IndexRoot      uint32   `json:"index_root"`
	Rotated        bool     `json:"rotated"`
	Conversations  int      `json:"conversations_checked"`
	Reindexed      int      `json:"conversations_reindexed"`
	DestroyedRoots []uint32 `json:"destroyed_roots"`
	StaleUserHolds int      `json:"stale_user_holds"` // legal holds on user ids the re-index could not carry
	Seconds        float64  `json:"seconds"`
}

// reindexProgressEvery is how often progress is printed.
const reindexProgressEvery = 2 * time.Second

func keysRotateIndex(x *call, store convstore.Store) error {
	svc, ok := store.(*service.Service)
	if !ok {
		return errors.New("keys rotate-index needs a local store")
	}
	j := reindexJSON{DestroyedRoots: []uint32{}}
	// An unfinished re-index is finished first, not rotated again: a
	// third root would only add work.
	if roots := svc.IndexRoots(); len(roots) == 1 {
		root, err := svc.RotateIndexRoot(x.ctx)
		if err != nil {
			return err
		}
		j.Rotated = true
		fmt.Fprintf(x.env.Stderr, "new index root %d; re-indexing\n", root)
	} else {
		fmt.Fprintf(x.env.Stderr, "finishing the re-index under index root %d\n", roots[len(roots)-1])
	}
	start := time.Now()
	last := start
	p, err := svc.Reindex(x.ctx, service.ReindexOptions{Each: func(p service.ReindexProgress) {
		if time.Since(last) >= reindexProgressEvery {
			last = time.Now()
			fmt.Fprintf(x.env.Stderr, "re-indexed %d of %d conversations (%d checked)\n", p.Reindexed, p.Below, p.Conversations)
		}
	}})
	if err != nil {
		return fmt.Errorf("the re-index stopped after %d conversations (run the command again to finish it): %w", p.Reindexed, err)
	}
	j.IndexRoot, j.Conversations, j.Reindexed, j.Seconds = p.Root, p.Conversations, p.Reindexed, time.Since(start).Seconds()
	j.DestroyedRoots = append(j.DestroyedRoots, p.Destroyed...)
	if j.StaleUserHolds = p.StaleUserHolds; j.StaleUserHolds > 0 {
		fmt.Fprintf(x.env.Stderr, "%d legal holds on user ids no longer match (their users had no conversation to carry them): place them again\n", j.StaleUserHolds)
	}
	return x.print(j, func(w io.Writer) error {
		ids := make([]string, len(j.DestroyedRoots))
		for i, r := range j.DestroyedRoots {
			ids[i] = strconv.FormatUint(uint64(r), 10)
		}
		return fields(w,
			"index_root", strconv.FormatUint(uint64(j.IndexRoot), 10),
			"rotated", strconv.FormatBool(j.Rotated),
			"conversations_reindexed", itoa(j.Reindexed),
			"destroyed_roots", orDash(strings.Join(ids, ",")),
			"stale_user_holds", itoa(j.StaleUserHolds),
			"seconds", strconv.FormatFloat(j.Seconds, 'f', 1, 64),
		)
	})
}

package service

import (
	"context"
	"slices"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var _ convstore.DigestService = (*Service)(nil)

// FindConversationDigests returns a page of conversations with the ends
// of their message lists and their newest artifacts of some types, read
// by one driver call of one snapshot (one round trip on PostgreSQL).
func (s *Service) FindConversationDigests(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter, o convstore.DigestOptions) ([]*convstore.ConversationDigest, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	if err := o.Validate(); err != nil {
		return nil, false, err
	}
	if f.ByUpdated {
		// No door lists digests by update; the digest queries page by id.
		return nil, false, convstore.Errorf(convstore.EUNSUPPORTED, "conversation digests are listed by id, not by update")
	}
	p, err := s.listParams(tenantID, &f)
	if err != nil {
		return nil, false, err
	}
	p.Page = pageOf(f.PageFilter, f.Offset)
	// The newest message's offsets and the newest artifacts of the kept
	// types come with the page, from each conversation's row (see
	// driver.Kept); the other types are read as its children. A list of
	// deleted conversations shows none of their children.
	kept := !f.Deleted && (o.Offsets || slices.ContainsFunc(o.Newest, isKept))
	p.Kept = kept
	types := o.Newest
	if kept {
		types = slices.DeleteFunc(slices.Clone(o.Newest), isKept)
	}
	var convs []*convstore.Conversation
	var offsets [][2]*time.Duration
	var more bool
	ends := map[convstore.ID][2][]*convstore.Message{}
	var newest [][]*convstore.Artifact
	var authors map[convstore.ID][]*convstore.Author
	var pending []convstore.ID
	err = func() error {
		// The rows are of one snapshot, read outside a transaction (one
		// round trip on PostgreSQL); their keys are then read as
		// FindConversations reads them.
		r := s.drv.Reads()
		got, err := r.ConversationDigestList(ctx, &driver.ConversationDigestListParams{List: *p, First: o.First, Last: o.Last,
			Types: types, Authors: o.Authors})
		if err != nil {
			return err
		}
		rows := got.Conversations
		rows, more = trim(rows, f.Limit)
		if convs, err = s.z.openConversations(ctx, r, rows); err != nil {
			return err
		}
		// Every end opened as one list: the page's keys read together.
		var endRows []*driver.MessageRow
		for _, c := range convs {
			if e := got.Ends[c.ID]; e != nil {
				endRows = append(append(endRows, e.First...), e.Last...)
			}
		}
		opened, err := s.z.openMessages(ctx, r, tenantID, endRows)
		if err != nil {
			return err
		}
		next := func(n int) []*convstore.Message {
			out := opened[:n:n]
			opened = opened[n:]
			return out
		}
		for _, c := range convs {
			if e := got.Ends[c.ID]; e != nil {
				first := next(len(e.First))
				ends[c.ID] = [2][]*convstore.Message{first, next(len(e.Last))}
			}
		}
		if o.Offsets {
			offsets = make([][2]*time.Duration, len(convs))
			for i, row := range rows {
				if k := row.Kept; k != nil {
					offsets[i] = [2]*time.Duration{k.LastStartOffset, k.LastEndOffset}
				}
			}
		}
		if len(o.Newest) > 0 {
			sealed := make([][]*convstore.Artifact, len(convs))
			for i, row := range rows {
				sealed[i] = make([]*convstore.Artifact, len(o.Newest))
				j := 0 // the next of types, read as children
				for k, t := range o.Newest {
					if kept && isKept(t) {
						if row.Kept != nil {
							sealed[i][k] = row.Kept.Newest[slices.Index(driver.KeptTypes[:], t)]
						}
						continue
					}
					sealed[i][k] = got.Newest[i][j]
					j++
				}
			}
			if newest, err = s.openNewest(ctx, r, tenantID, sealed); err != nil {
				return err
			}
		}
		if o.Authors {
			pending = got.Pending
			authors, err = s.openAuthors(ctx, r, tenantID, got.Authors)
		}
		return err
	}()
	if err != nil {
		return nil, false, err
	}
	if len(pending) > 0 {
		// Stored before their author rows were kept (the backfill has yet
		// to reach them): their authors come from their messages, as
		// FindAuthors reads them, in a read of its own.
		if err := s.pendingAuthors(ctx, tenantID, pending, authors); err != nil {
			return nil, false, err
		}
	}
	out := make([]*convstore.ConversationDigest, len(convs))
	for i, c := range convs {
		d := &convstore.ConversationDigest{Conversation: c, First: []*convstore.Message{}, Last: []*convstore.Message{}}
		if e, ok := ends[c.ID]; ok {
			d.First, d.Last = e[0], e[1]
		}
		if len(o.Newest) > 0 {
			d.Newest = newest[i]
		}
		if o.Offsets {
			d.LastStartOffset, d.LastEndOffset = offsets[i][0], offsets[i][1]
		}
		if o.Authors {
			if d.Authors = authors[c.ID]; d.Authors == nil {
				d.Authors = []*convstore.Author{}
			}
		}
		out[i] = d
	}
	return out, more, nil
}

// isKept reports whether a conversation's row keeps its newest artifact
// of type t.
func isKept(t convstore.ArtifactType) bool { return slices.Contains(driver.KeptTypes[:], t) }

// openNewest opens the newest artifacts of a page (as
// driver.ConversationDigestRows.Newest holds them, nil for none), all at
// once, in place.
func (s *Service) openNewest(ctx context.Context, r driver.Reader, tenantID convstore.ID, newest [][]*convstore.Artifact) ([][]*convstore.Artifact, error) {
	var rows []*convstore.Artifact
	for i := range newest {
		for _, a := range newest[i] {
			if a != nil {
				rows = append(rows, a)
			}
		}
	}
	opened, err := s.z.openArtifacts(ctx, r, tenantID, rows)
	if err != nil {
		return nil, err
	}
	for i := range newest {
		for k, a := range newest[i] {
			if a != nil {
				newest[i][k], opened = opened[0], opened[1:]
			}
		}
	}
	return newest, nil
}

// FindMessagePages reads a page of each range in one query (one snapshot).
func (s *Service) FindMessagePages(ctx context.Context, tenantID convstore.ID, ranges []convstore.MessageRange) ([]convstore.MessagePage, error) {
	ranges = slices.Clone(ranges) // normalized in place
	if err := convstore.NormalizeMessageRanges(ranges); err != nil {
		return nil, err
	}
	p := &driver.MessageListRangesParams{TenantID: tenantID, Ranges: make([]driver.MessageRange, len(ranges))}
	for i, r := range ranges {
		p.Ranges[i] = driver.MessageRange{ConversationID: r.ConversationID, Page: pageOf(r.PageFilter, 0)}
	}
	out := make([]convstore.MessagePage, len(ranges))
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		pages, err := r.MessageListRanges(ctx, p)
		if err != nil {
			return err
		}
		// Opened as one list, as FindMessages opens a page: one opener
		// (one key read) per conversation, however many ranges it has.
		var rows []*driver.MessageRow
		for i, rg := range ranges {
			pages[i], out[i].More = trim(pages[i], rg.Limit)
			rows = append(rows, pages[i]...)
		}
		opened, err := s.z.openMessages(ctx, r, tenantID, rows)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Messages, opened = opened[:len(pages[i]):len(pages[i])], opened[len(pages[i]):]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindArtifactPages reads a page of each range in one query (one
// snapshot).
func (s *Service) FindArtifactPages(ctx context.Context, tenantID convstore.ID, ranges []convstore.ArtifactRange) ([]convstore.ArtifactPage, error) {
	ranges = slices.Clone(ranges)
	if err := convstore.NormalizeArtifactRanges(ranges); err != nil {
		return nil, err
	}
	p := &driver.ArtifactListRangesParams{TenantID: tenantID, Ranges: make([]driver.ArtifactRange, len(ranges))}
	for i, r := range ranges {
		p.Ranges[i] = driver.ArtifactRange{ConversationID: r.ConversationID, Type: r.Type, Page: pageOf(r.PageFilter, 0)}
	}
	out := make([]convstore.ArtifactPage, len(ranges))
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		pages, err := r.ArtifactListRanges(ctx, p)
		if err != nil {
			return err
		}
		var rows []*convstore.Artifact // opened as one list (see FindMessagePages)
		for i, rg := range ranges {
			pages[i], out[i].More = trim(pages[i], rg.Limit)
			rows = append(rows, pages[i]...)
		}
		opened, err := s.z.openArtifacts(ctx, r, tenantID, rows)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Artifacts, opened = opened[:len(pages[i]):len(pages[i])], opened[len(pages[i]):]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

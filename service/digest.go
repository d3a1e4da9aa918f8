package service

import (
	"context"
	"slices"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var _ convstore.DigestService = (*Service)(nil)

// FindConversationDigests returns a page of conversations with the ends
// of their message lists, in two queries of one snapshot: the page, then
// every conversation's ends at once.
func (s *Service) FindConversationDigests(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter, o convstore.DigestOptions) ([]*convstore.ConversationDigest, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	if err := o.Validate(); err != nil {
		return nil, false, err
	}
	p, err := s.listParams(tenantID, &f)
	if err != nil {
		return nil, false, err
	}
	p.Page = pageOf(f.PageFilter, f.Offset)
	var convs []*convstore.Conversation
	var more bool
	ends := map[convstore.ID][2][]*convstore.Message{}
	var newest [][]*convstore.Artifact
	err = s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		rows, err := r.ConversationList(ctx, p)
		if err != nil {
			return err
		}
		rows, more = trim(rows, f.Limit)
		if convs, err = s.z.openConversations(ctx, r, rows); err != nil {
			return err
		}
		ids := make([]convstore.ID, 0, len(convs))
		for _, c := range convs {
			if c.MessageCount > 0 {
				ids = append(ids, c.ID)
			}
		}
		stored, err := r.MessageListEnds(ctx, &driver.MessageListEndsParams{TenantID: tenantID, ConversationIDs: ids, First: o.First, Last: o.Last})
		if err != nil {
			return err
		}
		// Every end opened as one list: the page's keys read together.
		var endRows []*driver.MessageRow
		for _, id := range ids {
			if e := stored[id]; e != nil {
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
		for _, id := range ids {
			if e := stored[id]; e != nil {
				first := next(len(e.First))
				ends[id] = [2][]*convstore.Message{first, next(len(e.Last))}
			}
		}
		newest, err = s.newestArtifacts(ctx, r, tenantID, convs, o.Newest)
		return err
	})
	if err != nil {
		return nil, false, err
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
		out[i] = d
	}
	return out, more, nil
}

// newestArtifacts reads the newest artifact of each of types of every
// conversation (out[i][k]: the i-th conversation's of the k-th type, or
// nil): one range per conversation of its newest artifacts of any type
// (most conversations hold few), then, for those whose range was full
// without every type, one range per type still missing. A range per
// conversation and type from the start doubles the index searches of a
// list, which is what a list of small artifacts pays for.
func (s *Service) newestArtifacts(ctx context.Context, r driver.Reader, tenantID convstore.ID, convs []*convstore.Conversation, types []convstore.ArtifactType) ([][]*convstore.Artifact, error) {
	if len(types) == 0 || len(convs) == 0 {
		return nil, nil
	}
	out := make([][]*convstore.Artifact, len(convs))
	newest := &driver.ArtifactListRangesParams{TenantID: tenantID, Ranges: make([]driver.ArtifactRange, len(convs))}
	for i, c := range convs {
		out[i] = make([]*convstore.Artifact, len(types))
		newest.Ranges[i] = driver.ArtifactRange{ConversationID: c.ID, Page: driver.Page{Desc: true, Limit: 2 * len(types)}}
	}
	pages, err := r.ArtifactListRanges(ctx, newest)
	if err != nil {
		return nil, err
	}
	missing := &driver.ArtifactListRangesParams{TenantID: tenantID}
	var where [][2]int // (conversation, type) of each missing range
	var rows []*convstore.Artifact
	for i, pg := range pages {
		for k, t := range types {
			for _, a := range pg {
				if a.Type == t {
					out[i][k] = a
					rows = append(rows, a)
					break
				}
			}
			if out[i][k] == nil && len(pg) == newest.Ranges[i].Page.Limit {
				missing.Ranges = append(missing.Ranges, driver.ArtifactRange{ConversationID: convs[i].ID, Type: t, Page: driver.Page{Desc: true, Limit: 1}})
				where = append(where, [2]int{i, k})
			}
		}
	}
	if len(missing.Ranges) > 0 {
		if pages, err = r.ArtifactListRanges(ctx, missing); err != nil {
			return nil, err
		}
		for j, pg := range pages {
			if len(pg) > 0 {
				out[where[j][0]][where[j][1]] = pg[0]
				rows = append(rows, pg[0])
			}
		}
	}
	// Only the artifacts kept are opened, all at once.
	opened, err := s.z.openArtifacts(ctx, r, tenantID, rows)
	if err != nil {
		return nil, err
	}
	byRow := make(map[*convstore.Artifact]*convstore.Artifact, len(rows))
	for j, a := range rows {
		byRow[a] = opened[j]
	}
	for i := range out {
		for k, a := range out[i] {
			if a != nil {
				out[i][k] = byRow[a]
			}
		}
	}
	return out, nil
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

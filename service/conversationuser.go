package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var _ convstore.ConversationUserService = (*Service)(nil)

// FindConversationUsers returns a page of the users of the tenant's
// conversations. The driver groups the conversations by the blind index
// of their user id and returns each group's newest conversation, whose
// user id alone is opened: a page opens one conversation per user it
// lists, however many conversations the tenant holds.
//
// While a re-index of the tenant's blind indexes runs, the conversations
// of one user may be under two index roots: the user then appears once
// per root until the re-index ends (as it may, once, for conversations
// stored before sealing and not yet upgraded, grouped by plaintext).
func (s *Service) FindConversationUsers(ctx context.Context, tenantID convstore.ID, f convstore.ConversationUserFilter) ([]*convstore.ConversationUser, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	cf := convstore.ConversationFilter{AgentID: f.AgentID, UserID: f.UserID,
		CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore}
	lp, err := s.listParams(tenantID, &cf)
	if err != nil {
		return nil, false, err
	}
	r := s.drv.Reads()
	rows, err := r.ConversationUserList(ctx, &driver.ConversationUserListParams{List: *lp, ByCount: f.ByCount,
		Desc: f.Order == convstore.OrderDesc, After: f.After, AfterLast: f.AfterLast, AfterCount: f.AfterCount,
		Limit: f.Limit + 1})
	if err != nil {
		return nil, false, err
	}
	rows, more := trim(rows, f.Limit)
	latest := make([]*driver.ConversationRow, len(rows))
	for i, u := range rows {
		latest[i] = u.Latest
	}
	convs, err := s.z.openConversations(ctx, r, latest)
	if err != nil {
		return nil, false, err
	}
	out := make([]*convstore.ConversationUser, len(rows))
	for i, u := range rows {
		out[i] = &convstore.ConversationUser{UserID: convs[i].UserID, Conversations: u.Count,
			FirstAt: u.First, LastAt: u.Last, Latest: convs[i]}
	}
	return out, more, nil
}

package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// eachConversation calls fn with every conversation of every tenant, a
// page of ids read at a time, so that background jobs (the sealing
// upgrade, the re-index) work through the store in short transactions of
// their own between other writes. An error of fn stops the walk.
func (s *Service) eachConversation(ctx context.Context, fn func(tenantID, id convstore.ID) error) error {
	tenants, err := s.drv.Reads().TenantList(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		var after convstore.ID
		for {
			rows, err := s.drv.Reads().ConversationList(ctx, &driver.ConversationListParams{TenantID: t.ID,
				Filter: &convstore.ConversationFilter{}, Page: driver.Page{After: after, Limit: upgradePage}})
			if err != nil {
				return err
			}
			for _, row := range rows {
				if err := fn(t.ID, row.ID); err != nil {
					return err
				}
				after = row.ID
			}
			if len(rows) < upgradePage {
				break
			}
		}
	}
	return nil
}

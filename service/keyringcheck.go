package service

import (
	"context"
	"fmt"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
)

// keyringCheckTimeout bounds Open's check of the store's keyring.
const keyringCheckTimeout = time.Minute

// checkKeyring compares the keyring the store was sealed with (its
// store_meta row) with ring. A store never sealed takes ring's id (when
// ring is set); one sealed with another keyring, or opened without one,
// fails with an error saying which, and nothing is written.
func (s *Service) checkKeyring(ring *keyring.Keyring) error {
	ctx, cancel := context.WithTimeout(context.Background(), keyringCheckTimeout)
	defer cancel()
	stored, err := s.drv.Reads().StoreMetaGet(ctx, driver.MetaKeyringID)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		if ring == nil {
			return nil
		}
		err = s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) (err error) {
			stored, err = tx.StoreMetaInsert(ctx, driver.MetaKeyringID, ring.ID())
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("service: reading the store's keyring id: %w", err)
	}
	switch {
	case ring == nil:
		return fmt.Errorf("service: this store is sealed with keyring %s; start with that keyring (--keyring, --keyring-master-key)", stored)
	case stored != ring.ID():
		return fmt.Errorf("service: this store is sealed with keyring %s, but keyring %s (%s) was given; start with the store's own keyring, nothing was changed",
			stored, ring.ID(), ring.Path())
	}
	return nil
}

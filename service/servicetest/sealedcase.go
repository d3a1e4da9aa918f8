package servicetest

import "testing"

// sealedCase is one test of a suite whose every test runs on a database
// of its own with a keyring (a sealed store), side by side.
type sealedCase struct {
	name string
	fn   func(t *testing.T, db *Database)
}

// runSealedCases runs each case as a parallel subtest on a fresh database
// from newDatabase, given a keyring unless it has one.
func runSealedCases(t *testing.T, newDatabase NewDatabaseFunc, cases []sealedCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newDatabase(t)
			if db.Keyring == nil {
				db.Keyring = NewKeyring(t)
			}
			tc.fn(t, db)
		})
	}
}

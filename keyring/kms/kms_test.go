//go:build kms

package kms

import (
	"context"
	"strings"
	"testing"

	"gocloud.dev/secrets"
	_ "gocloud.dev/secrets/localsecrets" // base64key:// in gocloud, to compare

	"github.com/convstore/convstore/keyring"
)

// TestSchemesRegistered opens a URL of each scheme: it reaches the driver
// (which, offline and without credentials, may fail later), not "no
// scheme".
func TestSchemesRegistered(t *testing.T) {
	for _, scheme := range Schemes {
		_, _, err := keyring.OpenMasterKey(context.Background(), scheme+"://x")
		if err != nil && strings.Contains(err.Error(), "no master key scheme") {
			t.Errorf("%s: %v", scheme, err)
		}
	}
}

// TestBase64KeyMatchesLocalSecrets encrypts with gocloud's localsecrets
// keeper and decrypts with the built-in base64key scheme, and the other
// way round: a keyring sealed by one opens with the other, so moving
// between the default and the kms build changes nothing.
func TestBase64KeyMatchesLocalSecrets(t *testing.T) {
	ctx := context.Background()
	url := keyring.NewBase64KeyURL()
	gocloud, err := secrets.OpenKeeper(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer gocloud.Close()
	builtin, _, err := keyring.OpenMasterKey(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]keyring.MasterKey{"gocloud to built-in": {gocloud, builtin}, "built-in to gocloud": {builtin, gocloud}} {
		sealed, err := pair[0].Encrypt(ctx, []byte("file key"))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := pair[1].Decrypt(ctx, sealed)
		if err != nil || string(plain) != "file key" {
			t.Errorf("%s: %q, %v", name, plain, err)
		}
	}
	other, _, _ := keyring.OpenMasterKey(ctx, keyring.NewBase64KeyURL())
	sealed, _ := gocloud.Encrypt(ctx, []byte("file key"))
	if _, err := other.Decrypt(ctx, sealed); err == nil {
		t.Error("another key decrypted")
	}
}

//go:build kms

// Package kms lets a keyring be sealed by a cloud KMS or HashiCorp Vault
// key, through gocloud.dev/secrets: importing it registers the awskms://,
// gcpkms://, azurekeyvault:// and hashivault:// master key schemes with
// package keyring (see gocloud.dev/secrets for each URL's form).
//
// It is built only with the kms build tag (go build -tags kms), because
// gocloud.dev/secrets brings gRPC, OpenTelemetry and each cloud's SDK into
// the binary (about 8 MB before any driver, 3 to 7 MB per driver); the
// default build has the built-in base64key:// scheme only.
package kms

import (
	"context"
	"net/url"

	"gocloud.dev/secrets"
	_ "gocloud.dev/secrets/awskms"        // awskms://
	_ "gocloud.dev/secrets/azurekeyvault" // azurekeyvault://
	_ "gocloud.dev/secrets/gcpkms"        // gcpkms://
	_ "gocloud.dev/secrets/hashivault"    // hashivault://

	"github.com/convstore/convstore/keyring"
)

// Schemes are the master key URL schemes this package registers.
var Schemes = []string{"awskms", "azurekeyvault", "gcpkms", "hashivault"}

func init() {
	for _, scheme := range Schemes {
		keyring.RegisterMasterKeyScheme(scheme, open)
	}
}

// open opens a gocloud.dev/secrets keeper; *secrets.Keeper has the
// methods of keyring.MasterKey already.
func open(ctx context.Context, u *url.URL) (keyring.MasterKey, error) {
	return secrets.OpenKeeper(ctx, u.String())
}

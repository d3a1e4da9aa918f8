package botpress

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/convstore/convstore"
)

// Metadata keys under which the door keeps Botpress fields. Tags and
// properties share the conversation's 16 metadata pairs with the channel and
// the integration.
const (
	keyChannel     = "botpress.channel"
	keyIntegration = "botpress.integration"
	keyType        = "botpress.type"
	keyOrigin      = "botpress.origin"
	keyUpdatedAt   = "botpress.updatedAt" // a message's last update, in timeLayout
	keyCreatedAt   = "botpress.createdAt" // an imported message's createdAt, in timeLayout
	tagPrefix      = "botpress.tag."
	propPrefix     = "botpress.prop."

	// externalPrefix namespaces get-or-create keys in Conversation.ExternalID.
	externalPrefix = "botpress:"

	// maxNameLen bounds channel and integration names (Botpress: 200).
	maxNameLen = 200
)

// applyPairs sets the tags or properties of in under prefix in meta: a null
// or empty value removes the key. field names the body member for errors.
func applyPairs(meta convstore.Metadata, prefix, field string, in tagsIn) error {
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if err := validKey(prefix, field, k); err != nil {
			return err
		}
		v := in[k]
		if v == nil || *v == "" {
			delete(meta, prefix+k)
			continue
		}
		if len(*v) > convstore.MaxMetadataValueLen || !utf8.ValidString(*v) || strings.IndexByte(*v, 0) >= 0 {
			return invalid(field, "%s.%s must be at most %d bytes of UTF-8 without NUL characters.", field, k, convstore.MaxMetadataValueLen)
		}
		meta[prefix+k] = *v
	}
	return nil
}

// validKey checks a tag or property name: it must fit a metadata key once
// prefixed.
func validKey(prefix, field, k string) error {
	max := convstore.MaxMetadataKeyLen - len(prefix)
	if k == "" || len(k) > max || !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 {
		return invalid(field, "%s names must be 1 to %d bytes of UTF-8 without NUL characters.", field, max)
	}
	return nil
}

// checkCount rejects metadata over the store's limit with a message that
// says how many tags and properties are left.
func checkCount(meta convstore.Metadata) error {
	if len(meta) <= convstore.MaxMetadataPairs {
		return nil
	}
	other := 0
	for k := range meta {
		if !strings.HasPrefix(k, tagPrefix) && !strings.HasPrefix(k, propPrefix) {
			other++
		}
	}
	return invalid("tags", "Too many tags: a conversation or message holds at most %d tags and properties together here (%d entries are taken by channel, integration or other metadata), and this request needs %d.",
		convstore.MaxMetadataPairs-other, other, len(meta)-other)
}

// pairs returns the tags or properties stored under prefix (never nil).
func pairs(meta convstore.Metadata, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			out[name] = v
		}
	}
	return out
}

// discriminators returns the tags that identify a conversation for
// get-or-create: the listed ones (a listed tag that is absent counts as
// empty), or every non-empty tag when no list is given.
func discriminators(tags tagsIn, list *[]string) ([][2]string, error) {
	var out [][2]string
	if list == nil {
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			if v := tags[k]; v != nil && *v != "" {
				out = append(out, [2]string{k, *v})
			}
		}
		return out, nil
	}
	names := slices.Clone(*list)
	slices.Sort(names)
	names = slices.Compact(names)
	for _, k := range names {
		if err := validKey(tagPrefix, "discriminateByTags", k); err != nil {
			return nil, err
		}
		v := ""
		if p := tags[k]; p != nil {
			v = *p
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// externalID returns the get-or-create key of a conversation: a hash of the
// bot, channel, integration and discriminating tags, so it always fits
// ExternalID's 256 bytes whatever their lengths.
func externalID(bot, channel, integration string, disc [][2]string) string {
	canon, _ := json.Marshal([]any{bot, channel, integration, disc}) // strings always marshal
	sum := sha256.Sum256(canon)
	return externalPrefix + hex.EncodeToString(sum[:])
}

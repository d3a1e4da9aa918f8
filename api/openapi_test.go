package api_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// TestOpenAPISchemasMatchWireTypes fails when a response schema of the
// document and its wire type disagree on the fields, or on which are
// always present: a field added to one must be added to the other.
func TestOpenAPISchemasMatchWireTypes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"Conversation": api.Conversation{}, "Message": api.Message{}, "Artifact": api.Artifact{},
		"Attachment": api.Attachment{}, "Deletion": api.Deletion{}, "AuditEntry": api.AuditEntry{}, "APIKey": api.APIKey{},
		"ConversationWithMessages": api.ConversationWithMessages{}, "ConversationCount": api.ConversationCount{},
		"Identity": api.Identity{}, "Erasure": api.Erasure{}, "ErasureList": api.List[api.Erasure]{},
		"Event": api.Event{}, "EventList": api.List[api.Event]{},
		"Webhook": api.Webhook{}, "WebhookList": api.List[api.Webhook]{}, "WebhookSecret": api.WebhookSecret{},
		"WebhookDelivery": api.WebhookDelivery{}, "WebhookAttempt": api.WebhookAttempt{},
		"WebhookDeliveryList": api.List[api.WebhookDelivery]{},
	} {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		var fields, always []string
		for _, f := range reflect.VisibleFields(reflect.TypeOf(v)) {
			if f.Anonymous {
				continue // its fields are visited as promoted ones
			}
			tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields = append(fields, tag)
			if opts != "omitempty" {
				always = append(always, tag)
			}
		}
		var props []string
		for p := range schema.Properties {
			props = append(props, p)
		}
		slices.Sort(fields)
		slices.Sort(always)
		slices.Sort(props)
		required := slices.Sorted(slices.Values(schema.Required))
		if !slices.Equal(props, fields) {
			t.Errorf("schema %s has properties %v, its wire type %v", name, props, fields)
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v, its wire type always has %v", name, required, always)
		}
	}
}

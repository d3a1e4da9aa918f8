package botpress_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp/doortest"
)

func TestCreateUser(t *testing.T) {
	e := setup(t)
	r := e.c.Do("POST", "/v1/chat/users", map[string]any{"tags": map[string]any{"email": "a@b.c", "gone": nil}, "name": "Ann", "pictureUrl": "https://x/y.png", "extra": 1}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	u := r.Map(t)["user"].(map[string]any)
	if id, _ := u["id"].(string); !strings.HasPrefix(id, "user_") || len(id) != 31 {
		t.Errorf("user id %v", u["id"])
	}
	if !isoTime.MatchString(u["createdAt"].(string)) || u["updatedAt"] != u["createdAt"] {
		t.Errorf("times %v %v", u["createdAt"], u["updatedAt"])
	}
	if tags := u["tags"].(map[string]any); len(tags) != 1 || tags["email"] != "a@b.c" {
		t.Errorf("tags %v", tags)
	}
	if u["name"] != "Ann" || u["pictureUrl"] != "https://x/y.png" {
		t.Errorf("user %v", u)
	}
	r2 := e.c.Do("POST", "/v1/chat/users", `{"tags":{}}`, as(e.KeyA, bot)...)
	if r2.Map(t)["user"].(map[string]any)["id"] == u["id"] {
		t.Error("two users share an id")
	}
	for _, body := range []string{`{}`, `{"tags":null}`, `{"tags":[]}`, `{"tags":{"a":1}}`, `{"tags":{},"name":5}`, `not json`, `[]`, ``, `{"tags":{"":"x"}}`} {
		wantError(t, e.c.Do("POST", "/v1/chat/users", body, as(e.KeyA, bot)...), 400, "InvalidPayload")
	}
}

// TestUserEmptyTagsPresent checks the exact JSON of a user's tags when it
// has none: {}, which the SDK's User type requires.
func TestUserEmptyTagsPresent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.c.Do("POST", "/v1/chat/users", map[string]any{"tags": map[string]string{}}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if got := doortest.Raw(t, r.Body, "user", "tags"); got != `{}` {
		t.Errorf("user tags %s, want {}", got)
	}
}

package v1_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

// A stored byte flipped under a conversation answers 500 with the
// integrity code and a message naming nothing of the content, is logged,
// and the server goes on serving.
func TestTamperedContentIsIntegrityError(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var conv struct {
		ID string `json:"id"`
	}
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"title": "canary-title-7d1"}, &conv)
	id, err := convstore.ParseID("conv", "id", conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+e.DBPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var title []byte
	if err := db.QueryRow(`SELECT title FROM conversations WHERE id = ?`, id[:]).Scan(&title); err != nil {
		t.Fatal(err)
	}
	title[len(title)-1] ^= 1
	if _, err := db.Exec(`UPDATE conversations SET title = ? WHERE id = ?`, title, id[:]); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/v1/conversations/"+conv.ID, e.KeyA, nil)
	p := problem(t, r, 500, "integrity", "")
	if strings.Contains(string(r.Body), "canary") || p["detail"] != "stored data failed its integrity check" {
		t.Errorf("the answer: %v", r)
	}
	if !strings.Contains(e.Logs.String(), "integrity") {
		t.Errorf("the failure was not logged:\n%s", e.Logs.String())
	}
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, nil)
}

package postgres_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// TestKilledConnections terminates every backend of a node between
// requests, as a pooler restart or a proxy's idle timeout does: reads, and
// writes whose transaction had not reached COMMIT, still succeed, on a
// fresh connection. The pool is told never to ping a connection it hands
// out, so every request after a kill meets a dead connection.
func TestKilledConnections(t *testing.T) {
	t.Parallel()
	dsn, app := appURL(t)
	opts := postgres.Options{MaxConns: 3}
	postgres.ConfigurePool(&opts, func(cfg *pgxpool.Config) {
		cfg.ShouldPing = func(ctx context.Context, p pgxpool.ShouldPingParams) bool { return false }
	})
	db := pgtest.OpenNode(t, pgtest.NewSchema(t), pgtest.NodeOptions{URL: dsn, Driver: opts})
	admin := pgtest.Open(t)
	ctx := testCtx(t)
	tenant, key, err := db.CreateTenant(ctx, "killed-"+convstore.NewID().Base32(), convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv, msgs, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Messages: textBatch("m", 3)})
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("recording "), 300)
	if _, err := db.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "call.wav", Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}

	kill := func() {
		t.Helper()
		// Fill the pool with idle connections first, so that the next
		// request draws one that is dead.
		var held []*pgxpool.Conn
		for range 3 {
			c, err := postgres.Pool(db.DB).Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Release()
		}
		if n := count(t, admin, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app); n == 0 {
			t.Fatal("no backend to terminate")
		}
	}
	requests := map[string]func() error{
		"Authenticate": func() error { _, err := db.Authenticate(ctx, key.Secret); return err },
		"FindConversationByID": func() error {
			_, err := db.FindConversationByID(ctx, tenant.ID, conv.ID)
			return err
		},
		"FindConversations": func() error {
			_, _, err := db.FindConversations(ctx, tenant.ID, convstore.ConversationFilter{})
			return err
		},
		"FindMessageByID": func() error {
			_, err := db.FindMessageByID(ctx, tenant.ID, conv.ID, msgs[0].ID)
			return err
		},
		"OpenAttachment": func() error {
			_, rc, err := db.OpenAttachment(ctx, tenant.ID, conv.ID, "call.wav")
			if err != nil {
				return err
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err == nil && !bytes.Equal(got, body) {
				t.Errorf("OpenAttachment read %d bytes, want %d", len(got), len(body))
			}
			return err
		},
		// Writes whose transaction never reached COMMIT on the dead
		// connection: they provably did not commit there.
		"CreateMessages": func() error {
			_, err := db.CreateMessages(ctx, tenant.ID, conv.ID, textBatch("after a kill", 1))
			return err
		},
		"UpdateConversation": func() error {
			title := "renamed"
			_, err := db.UpdateConversation(ctx, tenant.ID, conv.ID, &convstore.ConversationUpdate{Title: &title})
			return err
		},
	}
	for name, request := range requests {
		kill()
		if err := request(); err != nil {
			t.Errorf("%s after the node's connections were terminated: %v", name, err)
		}
	}
	if got, err := db.FindConversationByID(ctx, tenant.ID, conv.ID); err != nil || got.MessageCount != 4 {
		t.Errorf("after the kills: %+v, %v; want 4 messages (each append exactly once)", got, err)
	}
}

package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doors"
)

// TestDoorListeners checks how --all-doors and --<door>-addr assign the
// vendor doors' own listeners.
func TestDoorListeners(t *testing.T) {
	t.Parallel()
	names := doors.Names()
	for _, c := range []struct {
		name  string
		cfg   Config
		want  map[string]string
		error string
	}{
		{name: "none", cfg: Config{Addr: "127.0.0.1:8080"}, want: map[string]string{}},
		{name: "all consecutive", cfg: Config{Addr: "127.0.0.1:8080", AllDoors: true}, want: map[string]string{
			names[0]: "127.0.0.1:8081", names[1]: "127.0.0.1:8082", names[2]: "127.0.0.1:8083",
			names[3]: "127.0.0.1:8084", names[4]: "127.0.0.1:8085", names[5]: "127.0.0.1:8086"}},
		{name: "explicit wins", cfg: Config{Addr: ":9000", AllDoors: true, DoorAddrs: map[string]string{names[1]: "0.0.0.0:7000"}},
			want: map[string]string{names[0]: ":9001", names[1]: "0.0.0.0:7000", names[2]: ":9003", names[3]: ":9004", names[4]: ":9005", names[5]: ":9006"}},
		{name: "one door", cfg: Config{Addr: "127.0.0.1:8080", DoorAddrs: map[string]string{names[3]: "127.0.0.1:9999"}},
			want: map[string]string{names[3]: "127.0.0.1:9999"}},
		{name: "port 0 stays 0", cfg: Config{Addr: "127.0.0.1:0", AllDoors: true}, want: map[string]string{
			names[0]: "127.0.0.1:0", names[1]: "127.0.0.1:0", names[2]: "127.0.0.1:0", names[3]: "127.0.0.1:0", names[4]: "127.0.0.1:0", names[5]: "127.0.0.1:0"}},
		{name: "past 65535", cfg: Config{Addr: "127.0.0.1:65533", AllDoors: true}, error: "past 65535"},
		{name: "bad door addr", cfg: Config{Addr: "127.0.0.1:1", DoorAddrs: map[string]string{names[0]: "nonsense"}}, error: "--" + names[0] + "-addr"},
		{name: "bad port", cfg: Config{Addr: "127.0.0.1:1", DoorAddrs: map[string]string{names[0]: "h:99999"}}, error: "0 to 65535"},
	} {
		got, err := c.cfg.DoorListeners()
		if c.error != "" {
			if err == nil || !strings.Contains(err.Error(), c.error) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, c.error)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		m := map[string]string{}
		for _, l := range got {
			m[l.Door] = l.Addr
		}
		if len(m) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, m, c.want)
		}
		for k, v := range c.want {
			if m[k] != v {
				t.Errorf("%s: %s at %q, want %q", c.name, k, m[k], v)
			}
		}
	}
}

// TestServeDoorFlags checks that the flags and environment variables reach
// the configuration and that a bad address is refused at start.
func TestServeDoorFlags(t *testing.T) {
	t.Parallel()
	m := NewMain()
	m.Stderr = io.Discard
	err := m.ParseFlags([]string{"--symbl-addr", "127.0.0.1:7001"}, mapEnv(map[string]string{
		"CONVSTORE_INKEEP_ADDR": "127.0.0.1:7002", "CONVSTORE_ALL_DOORS": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.DoorAddrs["symbl"] != "127.0.0.1:7001" || m.Config.DoorAddrs["inkeep"] != "127.0.0.1:7002" || !m.Config.AllDoors {
		t.Fatalf("config %+v", m.Config)
	}
	m = NewMain()
	m.Stderr = io.Discard
	if err := m.ParseFlags([]string{"--botpress-addr", "nohost"}, mapEnv(nil)); err == nil || !strings.Contains(err.Error(), "--botpress-addr") {
		t.Fatalf("bad --botpress-addr: %v", err)
	}
}

// doorProbe is a delete of an unknown conversation through a door, which
// every door answers with its own 404.
type doorProbe struct {
	method, path string
	header       []string // name, value pairs; KEY is replaced by the key
	contentType  string
	bodyHas      string
}

var doorProbes = map[string]doorProbe{
	"stammer": {"POST", "/en/chatbot/api/v1/conversation/0190a4c2-0000-7000-8000-000000000000/deactivate/",
		[]string{"Authorization", "Token KEY"}, "application/json", "message"},
	"symbl": {"DELETE", "/v1/conversations/123", []string{"Authorization", "Bearer KEY"}, "application/json",
		"The conversationId is either invalid or does not exist."},
	"elevenlabs": {"DELETE", "/v1/convai/conversations/conv_01m84da9czf2dshz2bsxj5yvbx", []string{"xi-api-key", "KEY"},
		"application/json", "detail"},
	"botpress": {"DELETE", "/v1/chat/conversations/conv_01m84da9czf2dshz2bsxj5yvbx",
		[]string{"Authorization", "Bearer KEY", "x-bot-id", "bot-1"}, "application/json", "ResourceNotFound"},
	"inkeep": {"DELETE", "/conversations/nope", []string{"Authorization", "Bearer KEY"}, "application/problem+json", "not_found"},
	"openai": {"DELETE", "/v1/conversations/conv_01m84da9czf2dshz2bsxj5yvbx", []string{"Authorization", "Bearer KEY"}, "application/json",
		`"invalid_request_error"`},
}

func (p doorProbe) do(t *testing.T, base, key string) {
	t.Helper()
	req, err := http.NewRequest(p.method, base+p.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(p.header); i += 2 {
		req.Header.Set(p.header[i], strings.ReplaceAll(p.header[i+1], "KEY", key))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 404 || !strings.HasPrefix(ct, p.contentType) || !strings.Contains(string(body), p.bodyHas) {
		t.Errorf("%s %s%s: %d %s %s; want 404 %s with %q", p.method, base, p.path, resp.StatusCode, ct, body, p.contentType, p.bodyHas)
	}
}

// TestServeAllDoors starts a server with every door on its own listener and
// checks that each answers at its own root and under /compat/ on the main
// listener, and that a conversation created natively is deleted through a
// door's own listener.
func TestServeAllDoors(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--all-doors")
	for _, name := range doors.Names() {
		p, ok := doorProbes[name]
		if !ok {
			t.Fatalf("no probe for door %s", name)
		}
		addr := ts.m.DoorAddr(name)
		if addr == "" || addr == ts.m.Addr() {
			t.Fatalf("door %s listens at %q (main %s)", name, addr, ts.m.Addr())
		}
		p.do(t, "http://"+addr, testKey)
		p.do(t, ts.m.URL()+doors.CompatPrefix(name), testKey)
		// The native API is not on a door's listener.
		resp, err := http.Get("http://" + addr + "/v1/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("door %s serves the native API: %d", name, resp.StatusCode)
		}
	}

	ctx := context.Background()
	conv, _, err := ts.client().CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "to delete"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("DELETE", "http://"+ts.m.DoorAddr("symbl")+"/v1/conversations/"+strconv.FormatInt(conv.Seq, 10), nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("delete through the symbl listener: %d", resp.StatusCode)
	}
	if _, err := ts.client().FindConversationByID(ctx, convstore.ID{}, conv.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("native GET after a symbl delete: %v", err)
	}
	dels, _, err := ts.client().FindDeletions(ctx, convstore.ID{}, convstore.DeletionFilter{ConversationID: conv.ID})
	if err != nil || len(dels) != 1 || dels[0].Door != "symbl" {
		t.Fatalf("receipts %+v, %v; want one by symbl", dels, err)
	}
}

// TestServeDoorAddressInUse checks that a busy door address fails the start
// and leaves no listener open.
func TestServeDoorAddressInUse(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	m := NewMain()
	m.Stderr = io.Discard
	m.Logger = testLogger(t)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--inkeep-addr", busy.Addr().String()}, mapEnv(map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey})); err != nil {
		t.Fatal(err)
	}
	err = m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "inkeep door") {
		t.Fatalf("Run with a busy door address: %v", err)
	}
	if m.Addr() != "" {
		t.Errorf("main listener left open at %s", m.Addr())
	}
	_ = m.Close()
}

package natsrelay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// Defaults of Config.
const (
	DefaultStream        = "CONVSTORE"
	DefaultSubjectPrefix = "convstore"
	// DefaultDuplicateWindow is how long the stream remembers message ids
	// to drop a second publication of one event: longer than a relay's
	// lease (service.DefaultRelayLease) plus a restart, after which
	// another node publishes again what a dead one may have published.
	DefaultDuplicateWindow = 10 * time.Minute
	// DefaultMaxAge is how long the stream keeps a message: the outbox's
	// own default retention (convstore.DefaultEventRetention).
	DefaultMaxAge = convstore.DefaultEventRetention
	// DefaultPublishTimeout bounds one publication's wait for its
	// acknowledgement.
	DefaultPublishTimeout = 5 * time.Second
)

// Headers of every message besides Nats-Msg-Id (the event id).
const (
	HeaderType     = "Convstore-Event-Type"
	HeaderSequence = "Convstore-Event-Sequence" // the event's sequence number in its tenant
	HeaderTenant   = "Convstore-Tenant"
)

// Config configures a Publisher.
type Config struct {
	Stream        string // "" means DefaultStream
	SubjectPrefix string // "" means DefaultSubjectPrefix
	// PublishTimeout bounds one publication; 0 means
	// DefaultPublishTimeout.
	PublishTimeout time.Duration
}

// Publisher publishes events to a JetStream stream. It is safe for
// concurrent use.
type Publisher struct {
	js      jetstream.JetStream
	stream  string
	prefix  string
	timeout time.Duration

	mu    sync.Mutex
	ready bool // the stream was found or created
}

// New returns a publisher over an open connection (Connect). It does not
// talk to the server: the stream is checked, and created if missing, at
// the first publication, and again after a publication fails.
func New(nc *nats.Conn, cfg Config) (*Publisher, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = DefaultSubjectPrefix
	}
	if err := ValidateConfig(cfg); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	timeout := cfg.PublishTimeout
	if timeout <= 0 {
		timeout = DefaultPublishTimeout
	}
	return &Publisher{js: js, stream: cfg.Stream, prefix: cfg.SubjectPrefix, timeout: timeout}, nil
}

// ValidateConfig checks a stream name and subject prefix: a stream name
// without spaces, dots, wildcards or path separators; a prefix of one or
// more dot-separated tokens without wildcards or spaces.
func ValidateConfig(cfg Config) error {
	if cfg.Stream == "" || strings.ContainsAny(cfg.Stream, " \t\r\n.*>/\\") {
		return fmt.Errorf("NATS stream name %q: letters, digits, - and _ only (no spaces, dots, wildcards or slashes)", cfg.Stream)
	}
	p := cfg.SubjectPrefix
	if p == "" || strings.ContainsAny(p, " \t\r\n*>") || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
		return fmt.Errorf("NATS subject prefix %q: dot-separated tokens without spaces or wildcards, e.g. convstore", p)
	}
	return nil
}

// Connect connects to the NATS server(s) at url (comma-separated), named
// "convstore" to the server, reconnecting for ever; a server that is down
// at start is retried in the background, so convstore starts and the
// relay publishes once it is up (the events wait in the outbox).
func Connect(url string, opts ...nats.Option) (*nats.Conn, error) {
	base := []nats.Option{nats.Name("convstore"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(time.Second)}
	return nats.Connect(url, append(base, opts...)...)
}

// Subject returns the subject of an event: prefix, the tenant id as the
// native API writes it, and the event type.
func Subject(prefix string, e *convstore.Event) string {
	return prefix + "." + e.TenantID.Format(convstore.PrefixTenant) + "." + e.Type
}

// StreamConfig is the stream the publisher creates when it is missing:
// every subject under prefix, file storage, the duplicate window and
// maximum age of the defaults, the server's limits otherwise.
func StreamConfig(name, prefix string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        name,
		Description: "convstore events (deletions, purges, holds, erasures): one message per event, Nats-Msg-Id = event id",
		Subjects:    []string{prefix + ".>"},
		Storage:     jetstream.FileStorage,
		Duplicates:  DefaultDuplicateWindow,
		MaxAge:      DefaultMaxAge,
	}
}

// Publish publishes e and returns once the stream acknowledged it (stored,
// or dropped as a duplicate of a message with the same id).
func (p *Publisher) Publish(ctx context.Context, e *convstore.Event) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	if err := p.ensureStream(ctx); err != nil {
		return err
	}
	body, err := json.Marshal(api.FromEvent(e))
	if err != nil {
		return err
	}
	msg := nats.NewMsg(Subject(p.prefix, e))
	msg.Data = body
	msg.Header.Set(HeaderType, e.Type)
	msg.Header.Set(HeaderSequence, strconv.FormatInt(e.Seq, 10))
	msg.Header.Set(HeaderTenant, e.TenantID.Format(convstore.PrefixTenant))
	_, err = p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(e.ID.Format(convstore.PrefixEvent)), jetstream.WithExpectStream(p.stream))
	if err != nil {
		p.mu.Lock()
		p.ready = false // look at the stream again: it may have been deleted
		p.mu.Unlock()
		return fmt.Errorf("publishing event %s to NATS stream %s: %w", e.ID.Format(convstore.PrefixEvent), p.stream, err)
	}
	return nil
}

// ensureStream finds the stream, or creates it with StreamConfig. A
// stream that exists is left as its operator made it, except that
// <prefix>.> is added to its subjects if it lacks it.
func (p *Publisher) ensureStream(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready {
		return nil
	}
	want := p.prefix + ".>"
	s, err := p.js.Stream(ctx, p.stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		if _, err := p.js.CreateStream(ctx, StreamConfig(p.stream, p.prefix)); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("creating NATS stream %s: %w", p.stream, err)
		}
	case err != nil:
		return fmt.Errorf("reading NATS stream %s: %w", p.stream, err)
	default:
		cfg := s.CachedInfo().Config
		if !slices.Contains(cfg.Subjects, want) {
			cfg.Subjects = append(cfg.Subjects, want)
			if _, err := p.js.UpdateStream(ctx, cfg); err != nil {
				return fmt.Errorf("adding subject %s to NATS stream %s: %w", want, p.stream, err)
			}
		}
	}
	p.ready = true
	return nil
}

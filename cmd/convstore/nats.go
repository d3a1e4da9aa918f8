package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/convstore/convstore/natsrelay"
	"github.com/convstore/convstore/service"
)

// NATSConfig is the NATS JetStream relay's configuration: off while URL
// is empty.
type NATSConfig struct {
	URL           string // nats://host:4222 (comma-separated for a cluster); "" turns the relay off
	Stream        string // the JetStream stream, created if missing
	SubjectPrefix string // subjects are <prefix>.<tenant id>.<event type>
}

func defaultNATS() NATSConfig {
	return NATSConfig{Stream: natsrelay.DefaultStream, SubjectPrefix: natsrelay.DefaultSubjectPrefix}
}

// registerFlags binds --nats-url, --nats-stream and --nats-subject-prefix.
func (c *NATSConfig) registerFlags(fs *flagSet) {
	fs.StringVar(&c.URL, "nats-url", c.URL, "publish every event (GET /v1/events) to NATS JetStream at this `URL` (nats://host:4222, comma-separated for several servers; credentials in the URL), each once by its id (empty: off)")
	fs.bindEnv("nats-url", "CONVSTORE_NATS_URL")
	fs.StringVar(&c.Stream, "nats-stream", c.Stream, "JetStream `stream` the events go to, created if missing (file storage, "+
		natsrelay.DefaultDuplicateWindow.String()+" duplicate window, "+natsrelay.DefaultMaxAge.String()+" max age)")
	fs.bindEnv("nats-stream", "CONVSTORE_NATS_STREAM")
	fs.StringVar(&c.SubjectPrefix, "nats-subject-prefix", c.SubjectPrefix, "subject `prefix` of the events: <prefix>.<tenant id>.<event type>, e.g. convstore.ten_….conversation.deleted")
	fs.bindEnv("nats-subject-prefix", "CONVSTORE_NATS_SUBJECT_PREFIX")
}

// validate checks the NATS settings.
func (c NATSConfig) validate() error {
	if c.URL == "" {
		return nil
	}
	for _, u := range strings.Split(c.URL, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") {
			return fmt.Errorf("--nats-url %q: use nats://host:4222 (or tls://, ws://, wss://), comma-separated for several servers", redactNATS(c.URL))
		}
	}
	if err := natsrelay.ValidateConfig(natsrelay.Config{Stream: c.Stream, SubjectPrefix: c.SubjectPrefix}); err != nil {
		return fmt.Errorf("--nats-stream / --nats-subject-prefix: %w", err)
	}
	return nil
}

// redactNATS hides the passwords and tokens of NATS URLs, for messages.
func redactNATS(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		if p, err := url.Parse(strings.TrimSpace(u)); err == nil && p.User != nil {
			p.User = url.User("xxxxx")
			parts[i] = p.String()
		}
	}
	return strings.Join(parts, ",")
}

// relayRunner is a store with an outbox a relay publishes (the service
// tier).
type relayRunner interface {
	NewRelay(pub service.EventPublisher, opts service.RelayOptions) *service.Relay
}

// natsRelay is the running NATS relay of a server.
type natsRelay struct {
	nc   *nats.Conn
	stop context.CancelFunc
	done chan struct{}
}

// startNATS connects to NATS and starts the relay, when --nats-url is
// set. A server that is down at start is retried in the background: the
// events wait in the outbox.
func (m *Main) startNATS() error {
	c := m.Config.NATS
	r, ok := m.DB.(relayRunner)
	if c.URL == "" || !ok {
		return nil
	}
	nc, err := natsrelay.Connect(c.URL,
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				m.Logger.Warn("NATS disconnected; events wait in the outbox", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { m.Logger.Info("NATS reconnected", "server", nc.ConnectedUrlRedacted()) }))
	if err != nil {
		return fmt.Errorf("connecting to NATS at %s: %w", redactNATS(c.URL), err)
	}
	pub, err := natsrelay.New(nc, natsrelay.Config{Stream: c.Stream, SubjectPrefix: c.SubjectPrefix})
	if err != nil {
		nc.Close()
		return err
	}
	relay := r.NewRelay(pub, service.RelayOptions{AfterPublish: m.Config.relayAfterPublish})
	if m.obs != nil {
		m.obs.metrics.InstrumentRelay(m.DB)
	}
	ctx, stop := context.WithCancel(context.Background())
	m.nats = &natsRelay{nc: nc, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(m.nats.done)
		relay.Run(ctx)
	}()
	m.Logger.Info("publishing events to NATS JetStream", "url", redactNATS(c.URL), "stream", c.Stream,
		"subjects", c.SubjectPrefix+".>")
	return nil
}

// stopNATS stops the relay (after its pass in progress has marked what
// it published) and closes the connection.
func (m *Main) stopNATS() {
	if m.nats == nil {
		return
	}
	m.nats.stop()
	<-m.nats.done
	m.nats.nc.Close()
	m.nats = nil
}

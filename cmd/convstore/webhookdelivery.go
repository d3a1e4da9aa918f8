package main

import (
	"context"
	"fmt"
	"time"

	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/stdwebhook"
)

// WebhookDeliveryConfig is how the server sends webhook deliveries.
type WebhookDeliveryConfig struct {
	// Timeout bounds one attempt.
	Timeout time.Duration
	// PerEndpoint bounds the concurrent attempts to one webhook, and
	// Concurrency those to every webhook, on one node.
	PerEndpoint, Concurrency int
	// PollInterval is how often a node looks for deliveries it was not
	// woken for (events of other nodes, retries that came due).
	PollInterval time.Duration
}

func defaultWebhookDeliveryConfig() WebhookDeliveryConfig {
	return WebhookDeliveryConfig{Timeout: stdwebhook.DefaultTimeout, PerEndpoint: service.DefaultWebhookPerEndpoint,
		Concurrency: service.DefaultWebhookConcurrency, PollInterval: service.DefaultWebhookPollInterval}
}

func (c *Config) registerWebhookDeliveryFlags(fs *flagSet) {
	w := &c.WebhookDelivery
	fs.DurationVar(&w.Timeout, "webhook-timeout", w.Timeout, "how long one webhook attempt may take (connect, send, read the status) before it counts as failed")
	fs.bindEnv("webhook-timeout", "CONVSTORE_WEBHOOK_TIMEOUT")
	fs.IntVar(&w.PerEndpoint, "webhook-concurrency", w.PerEndpoint, "how many deliveries one node sends to one webhook at a time")
	fs.bindEnv("webhook-concurrency", "CONVSTORE_WEBHOOK_CONCURRENCY")
	fs.IntVar(&w.Concurrency, "webhook-workers", w.Concurrency, "how many deliveries one node sends at a time, to every webhook")
	fs.bindEnv("webhook-workers", "CONVSTORE_WEBHOOK_WORKERS")
	fs.DurationVar(&w.PollInterval, "webhook-poll-interval", w.PollInterval, "how often a node looks for webhook deliveries it was not woken for: events written on other nodes, retries that came due, deliveries of a node that died")
	fs.bindEnv("webhook-poll-interval", "CONVSTORE_WEBHOOK_POLL_INTERVAL")
}

func (c Config) validateWebhookDelivery() error {
	w := c.WebhookDelivery
	if w.Timeout < 100*time.Millisecond || w.Timeout > 5*time.Minute {
		return fmt.Errorf("--webhook-timeout %v: between 100ms and 5m", w.Timeout)
	}
	if w.PerEndpoint < 1 || w.PerEndpoint > 256 || w.Concurrency < 1 || w.Concurrency > 4096 {
		return fmt.Errorf("--webhook-concurrency %d must be between 1 and 256, --webhook-workers %d between 1 and 4096", w.PerEndpoint, w.Concurrency)
	}
	if w.PollInterval < 10*time.Millisecond {
		return fmt.Errorf("--webhook-poll-interval %v: at least 10ms", w.PollInterval)
	}
	return nil
}

// webhookDeliveryOptions sets the service's options of webhook delivery.
func (c Config) webhookDeliveryOptions(opts *service.Options) {
	w := c.WebhookDelivery
	opts.WebhookDelivery = service.WebhookDeliveryOptions{Timeout: w.Timeout, PerEndpoint: w.PerEndpoint,
		Concurrency: w.Concurrency, PollInterval: w.PollInterval}
}

// webhookDeliverer is a store that delivers webhooks (the service tier,
// on every node).
type webhookDeliverer interface {
	RunWebhooks(ctx context.Context)
}

// startWebhooks runs the store's webhook delivery until closeStore (the
// listeners it must never reach were set before: SetOwnAddrs).
func (m *Main) startWebhooks() {
	d, ok := m.DB.(webhookDeliverer)
	if !ok {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	m.stopWebhooks, m.webhooksDone = stop, make(chan struct{})
	go func() {
		defer close(m.webhooksDone)
		d.RunWebhooks(ctx)
	}()
}

// stopWebhookDelivery stops the delivery worker; attempts in flight end
// (their deliveries are sent again once their leases end).
func (m *Main) stopWebhookDelivery() {
	if m.stopWebhooks != nil {
		m.stopWebhooks()
		<-m.webhooksDone
		m.stopWebhooks = nil
	}
}

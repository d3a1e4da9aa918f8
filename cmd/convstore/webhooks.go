package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

func webhooksCommand() *command {
	return group("webhooks", "Register webhooks that receive the tenant's events, and follow their deliveries.",
		// The webhook's URL is an argument: --url names the server.
		&leaf{name: "add", summary: "Register a webhook; prints its id and its secret, shown this once.", args: []string{"WEBHOOK_URL"},
			help:  "Register a webhook that receives the tenant's events from now on, signed per Standard Webhooks; prints its id and its secret, shown this once.",
			flags: webhooksAdd},
		&leaf{name: "list", summary: "List the tenant's webhooks.", flags: webhooksList},
		&leaf{name: "deliveries", summary: "List a webhook's deliveries, newest first.", args: []string{"WEBHOOK_ID"}, flags: webhooksDeliveries},
		&leaf{name: "replay", summary: "Deliver a delivery again, now.", args: []string{"WEBHOOK_ID", "DELIVERY_ID"}, run: webhooksReplay},
		&leaf{name: "test", summary: "Send a webhook.test event to a webhook.", args: []string{"WEBHOOK_ID"}, run: webhooksTest},
	)
}

func webhooksAdd(fs *flagSet) func(x *call) (clientCall, error) {
	var events, description string
	fs.StringVar(&events, "events", "", "comma-separated event `types` to receive (default: every type)")
	fs.StringVar(&description, "description", "", "what the webhook is `for`")
	return func(x *call) (clientCall, error) {
		in := &convstore.WebhookCreate{URL: x.args[0], Description: description}
		for _, e := range strings.Split(events, ",") {
			if e = strings.TrimSpace(e); e != "" {
				in.Events = append(in.Events, e)
			}
		}
		return func(x *call, c *client.Client) error {
			h, secret, err := c.CreateWebhook(x.ctx, convstore.ID{}, in, convstore.DeleteParams{})
			if err != nil {
				return err
			}
			wire := api.FromWebhook(h)
			wire.Secret = secret.Secret
			return x.print(wire, func(w io.Writer) error {
				if err := printWebhookFields(w, h, "secret", secret.Secret); err != nil {
					return err
				}
				_, err := fmt.Fprint(w, "\nThe secret is shown this once: store it where the receiver verifies signatures.\n")
				return err
			})
		}, nil
	}
}

func webhooksList(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	return func(x *call) (clientCall, error) {
		p, err := pf.filter(fs, convstore.PrefixWebhook)
		if err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			hooks, more, err := c.FindWebhooks(x.ctx, convstore.ID{}, convstore.WebhookFilter{PageFilter: p})
			if err != nil {
				return err
			}
			return printList(x, hooks, more, api.FromWebhook, func(h api.Webhook) string { return h.ID },
				[]string{"ID", "STATE", "URL", "EVENTS", "CREATED"},
				func(h *convstore.Webhook) []string {
					return []string{h.ID.Format(convstore.PrefixWebhook), h.State, truncate(h.URL, 60), fmtEvents(h.Events), fmtTime(h.CreatedAt)}
				})
		}, nil
	}
}

func webhooksDeliveries(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	var state string
	fs.StringVar(&state, "state", "", "only deliveries in this `state`: pending, delivering, succeeded or failed")
	return func(x *call) (clientCall, error) {
		f := convstore.WebhookDeliveryFilter{State: state}
		var err error
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixWebhookDelivery); err != nil {
			return nil, err
		}
		if state != "" && !convstore.IsDeliveryState(state) {
			return nil, usageErrorf(fs, "--state must be pending, delivering, succeeded or failed")
		}
		return func(x *call, c *client.Client) error {
			list, more, err := c.FindWebhookDeliveries(x.ctx, convstore.ID{}, x.ids[0], f)
			if err != nil {
				return err
			}
			return printList(x, list, more, func(d *convstore.WebhookDelivery) api.WebhookDelivery { return api.FromWebhookDelivery(d, nil) },
				func(d api.WebhookDelivery) string { return d.ID },
				[]string{"ID", "EVENT", "STATE", "ATTEMPTS", "STATUS", "LATENCY", "CREATED"},
				func(d *convstore.WebhookDelivery) []string {
					status, latency := "-", "-"
					if d.LastStatus != 0 {
						status = strconv.Itoa(d.LastStatus)
					}
					if d.LastAttemptAt != nil {
						latency = strconv.FormatInt(d.LastLatency.Milliseconds(), 10) + "ms"
					}
					return []string{d.ID.Format(convstore.PrefixWebhookDelivery), d.EventType, d.State, itoa(d.Attempts), status, latency,
						fmtTime(d.CreatedAt)}
				})
		}, nil
	}
}

func webhooksReplay(x *call, c *client.Client) error {
	d, err := c.ReplayWebhookDelivery(x.ctx, convstore.ID{}, x.ids[0], x.ids[1])
	if err != nil {
		return err
	}
	return x.print(api.FromWebhookDelivery(d, nil), func(w io.Writer) error {
		return fields(w, "delivery", d.ID.Format(convstore.PrefixWebhookDelivery), "state", d.State, "attempts", itoa(d.Attempts))
	})
}

func webhooksTest(x *call, c *client.Client) error {
	d, err := c.TestWebhook(x.ctx, convstore.ID{}, x.ids[0])
	if err != nil {
		return err
	}
	return x.print(api.FromWebhookDelivery(d, nil), func(w io.Writer) error {
		return fields(w, "delivery", d.ID.Format(convstore.PrefixWebhookDelivery), "event_id", d.EventID.Format(convstore.PrefixEvent),
			"event_type", d.EventType, "state", d.State)
	})
}

// printWebhookFields writes a webhook as fields (never its secret).
// printWebhookFields prints a webhook's fields, then extra name, value
// pairs aligned with them (the secret, the once it is shown).
func printWebhookFields(w io.Writer, h *convstore.Webhook, extra ...string) error {
	return fields(w, append([]string{
		"webhook", h.ID.Format(convstore.PrefixWebhook),
		"url", h.URL,
		"events", fmtEvents(h.Events),
		"description", orDash(h.Description),
		"state", h.State,
		"created_at", fmtTime(h.CreatedAt),
	}, extra...)...)
}

// fmtEvents formats an event filter: "all" for every type.
func fmtEvents(events []string) string {
	if len(events) == 0 {
		return "all"
	}
	return strings.Join(events, ",")
}

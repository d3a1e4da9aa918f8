package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

// The erasure commands talk to a running server with an admin key, like
// every client command: the server's runner (on any node) does the work,
// so the job goes on if the command is interrupted, and another node
// resumes it if the server dies.

// defaultErasePoll is how often erase asks the server for the job's
// progress.
const defaultErasePoll = 500 * time.Millisecond

func eraseCommand() *command {
	return (&leaf{name: "erase", summary: "Erase every conversation of an end user, an agent or a filter, as a job; watch it finish.",
		help: "Erase every conversation matching all the criteria given (at least one) and created before now, " +
			"through an erasure job that the server runs in the background (admin key). Shows a progress bar " +
			"on standard error and ends with the job's receipt; --json prints the job as JSON instead. " +
			"--dry-run only counts. Interrupting the command does not stop the job: cancel it with " +
			"'convstore erasures cancel ID'.",
		flags: eraseFlags, timeout: defaultTimeout}).topLevel()
}

func erasuresCommand() *command {
	return group("erasures", "Follow and cancel erasure jobs.",
		&leaf{name: "list", summary: "List erasure jobs, newest first.", flags: erasuresList},
		&leaf{name: "get", summary: "Show one erasure job and its progress.", args: []string{"ERASURE_ID"}, run: erasuresGet},
		&leaf{name: "cancel", summary: "Cancel an erasure job: it stops before its next conversation.", args: []string{"ERASURE_ID"}, run: erasuresCancel},
	)
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func eraseFlags(fs *flagSet) func(x *call) (clientCall, error) {
	var sel convstore.ErasureSelector
	var ext, meta multiFlag
	var before string
	var dry, includeNew, detach bool
	poll := defaultErasePoll
	fs.StringVar(&sel.UserID, "user-id", "", "erase the conversations of this end-user `id`")
	fs.StringVar(&sel.AgentID, "agent-id", "", "erase the conversations of this agent `id`")
	fs.Var(&ext, "external-id", "erase the conversation with this external `id` (repeatable)")
	fs.Var(&meta, "metadata", "erase conversations whose metadata has this `key=value` (repeatable)")
	fs.StringVar(&before, "created-before", "", "erase conversations created before this `time` (RFC 3339 or Unix seconds)")
	fs.BoolVar(&dry, "dry-run", false, "only count what would be erased")
	fs.BoolVar(&includeNew, "include-new", false, "also erase matching conversations created while the job runs")
	fs.BoolVar(&detach, "detach", false, "print the job at once instead of waiting for it")
	fs.DurationVar(&poll, "poll", poll, "how often to ask for progress")
	return func(x *call) (clientCall, error) {
		sel.ExternalIDs = ext
		for _, kv := range meta {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, usageErrorf(fs, "--metadata %q: want key=value", kv)
			}
			if sel.Metadata == nil {
				sel.Metadata = convstore.Metadata{}
			}
			sel.Metadata[k] = v
		}
		if before != "" {
			t, err := parseWhen(before)
			if err != nil {
				return nil, usageErrorf(fs, "--created-before %q: want RFC 3339 (2024-01-02T15:04:05Z) or Unix seconds", before)
			}
			sel.CreatedBefore = &t
		}
		if sel.Empty() {
			return nil, usageErrorf(fs, "nothing selected: give --user-id, --agent-id, --external-id, --created-before or --metadata")
		}
		if poll <= 0 {
			return nil, usageErrorf(fs, "--poll must be positive")
		}
		in := &convstore.ErasureCreate{Selector: sel, DryRun: dry, IncludeNew: includeNew}
		return func(x *call, c *client.Client) error {
			e, err := c.CreateErasure(x.ctx, convstore.ID{}, in, convstore.DeleteParams{Door: "cli"})
			if err != nil {
				return err
			}
			if !detach && !e.State.Final() {
				if e, err = watchErasure(x, c, e, poll); err != nil {
					return err
				}
			}
			if err := x.print(api.FromErasure(e), func(w io.Writer) error { return printErasure(w, e) }); err != nil {
				return err
			}
			switch e.State {
			case convstore.ErasureFailed:
				return fmt.Errorf("the erasure job failed: %s", e.Error)
			case convstore.ErasureCanceled:
				return errors.New("the erasure job was canceled")
			}
			return nil
		}, nil
	}
}

// parseWhen parses RFC 3339 or Unix seconds.
func parseWhen(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339, s)
}

// watchErasure polls the job until it ends, drawing its progress on
// standard error (not under --json). An interrupt stops the watch, not
// the job.
func watchErasure(x *call, c *client.Client, e *convstore.Erasure, poll time.Duration) (*convstore.Erasure, error) {
	var bar *progressbar.ProgressBar
	if !x.json() {
		bar = progressbar.NewOptions64(int64(max(e.Total.Conversations, 1)),
			progressbar.OptionSetWriter(x.env.Stderr),
			progressbar.OptionSetDescription("erasing"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(x.env.Stderr) }))
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if bar != nil {
			if total := int64(max(e.Total.Conversations, e.Done.Conversations+e.Held, 1)); total != bar.GetMax64() {
				bar.ChangeMax64(total)
			}
			bar.Describe(fmt.Sprintf("erasing: %d messages, %s", e.Done.Messages, fmtBytes(e.Done.Bytes)))
			_ = bar.Set64(int64(e.Done.Conversations + e.Held))
		}
		if e.State.Final() {
			if bar != nil {
				_ = bar.Finish()
			}
			return e, nil
		}
		select {
		case <-x.ctx.Done():
			if bar != nil {
				_ = bar.Exit()
			}
			id := e.ID.Format(convstore.PrefixErasure)
			return nil, fmt.Errorf("stopped watching; the job goes on (follow it with 'convstore erasures get %s', stop it with 'convstore erasures cancel %s'): %w", id, id, x.ctx.Err())
		case <-t.C:
		}
		next, err := c.FindErasureByID(x.ctx, convstore.ID{}, e.ID)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				continue // reported at the top of the loop
			}
			return nil, err
		}
		e = next
	}
}

// fmtBytes renders a byte count in IEC units.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// printErasure writes a job as fields: its receipt once it has ended.
func printErasure(w io.Writer, e *convstore.Erasure) error {
	id := e.ID.Format(convstore.PrefixErasure)
	counts := func(c convstore.ErasureCounts) string {
		return fmt.Sprintf("%d conversations, %d messages, %d artifacts, %d attachments (%s)",
			c.Conversations, c.Messages, c.Artifacts, c.Attachments, fmtBytes(c.Bytes))
	}
	var sel []string
	if e.Selector.UserID {
		sel = append(sel, "user id")
	}
	if e.Selector.AgentID != "" {
		sel = append(sel, "agent "+e.Selector.AgentID)
	}
	if e.Selector.ExternalIDs > 0 {
		sel = append(sel, itoa(e.Selector.ExternalIDs)+" external ids")
	}
	if e.Selector.MetadataPairs > 0 {
		sel = append(sel, itoa(e.Selector.MetadataPairs)+" metadata pairs")
	}
	if e.Selector.CreatedBefore != nil {
		sel = append(sel, "created before "+fmtTime(*e.Selector.CreatedBefore))
	}
	kv := []string{
		"erasure", id,
		"state", string(e.State),
		"dry_run", strconv.FormatBool(e.DryRun),
		"selector", strings.Join(sel, ", "),
		"snapshot_at", fmtTime(e.SnapshotAt),
		"total", counts(e.Total),
		"erased", counts(e.Done),
		"held", itoa(e.Held),
		"created_by", fmtOptID(e.ActorKeyID, convstore.PrefixKey),
		"request_id", orDash(e.RequestID),
		"created_at", fmtTime(e.CreatedAt),
		"finished_at", fmtOptTime(e.FinishedAt),
	}
	if e.Error != "" {
		kv = append(kv, "error", e.Error)
	}
	if !e.DryRun && e.Done.Conversations > 0 {
		kv = append(kv, "receipts", "convstore deletions list --erasure-id "+id)
	}
	return fields(w, kv...)
}

func erasuresList(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	return func(x *call) (clientCall, error) {
		var f convstore.ErasureFilter
		var err error
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixErasure); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			list, more, err := c.FindErasures(x.ctx, convstore.ID{}, f)
			if err != nil {
				return err
			}
			return printList(x, list, more, api.FromErasure, func(e api.Erasure) string { return e.ID },
				[]string{"ID", "STATE", "DRY", "CONVERSATIONS", "HELD", "BY", "CREATED"},
				func(e *convstore.Erasure) []string {
					return []string{e.ID.Format(convstore.PrefixErasure), string(e.State), strconv.FormatBool(e.DryRun),
						itoa(e.Done.Conversations) + "/" + itoa(e.Total.Conversations), itoa(e.Held),
						fmtOptID(e.ActorKeyID, convstore.PrefixKey), fmtTime(e.CreatedAt)}
				})
		}, nil
	}
}

func erasuresGet(x *call, c *client.Client) error {
	e, err := c.FindErasureByID(x.ctx, convstore.ID{}, x.ids[0])
	if err != nil {
		return err
	}
	return x.print(api.FromErasure(e), func(w io.Writer) error { return printErasure(w, e) })
}

func erasuresCancel(x *call, c *client.Client) error {
	e, err := c.CancelErasure(x.ctx, convstore.ID{}, x.ids[0], convstore.DeleteParams{Door: "cli"})
	if err != nil {
		return err
	}
	return x.print(api.FromErasure(e), func(w io.Writer) error { return printErasure(w, e) })
}

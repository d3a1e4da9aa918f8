package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

func conversationsCommand() *command {
	return group("conversations", "List, show, create, update and delete conversations.",
		&leaf{name: "list", summary: "List conversations, newest first.", flags: conversationsList},
		&leaf{name: "get", summary: "Show one conversation.", args: []string{"CONVERSATION_ID"}, run: conversationsGet},
		&leaf{name: "create", summary: "Create a conversation, optionally with messages.",
			help:  "Create a conversation. Initial messages come from --message role:content (repeatable)\nor --file, messages as the API takes them: a message object, {\"messages\":[…]} or\nan array of messages (\"-\" reads standard input).",
			flags: conversationsCreate},
		&leaf{name: "update", summary: "Change a conversation's title, ids or metadata.",
			help: "Change the given fields of a conversation; --metadata replaces the whole map.",
			args: []string{"CONVERSATION_ID"}, flags: conversationsUpdate},
		&leaf{name: "delete", summary: "Delete a conversation and everything it holds, for good; prints the receipt.",
			help: "Delete a conversation with its messages, artifacts and attachments, permanently.\nPrints the deletion receipt, which holds counts and ids but no content.",
			args: []string{"CONVERSATION_ID"}, run: conversationsDelete},
	)
}

func conversationsList(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	var f convstore.ConversationFilter
	var after, before string
	fs.StringVar(&f.AgentID, "agent-id", "", "only conversations of this agent `id`")
	fs.StringVar(&f.UserID, "user-id", "", "only conversations of this end-user `id`")
	fs.StringVar(&after, "created-after", "", "only conversations created after `time` (RFC 3339 or Unix seconds)")
	fs.StringVar(&before, "created-before", "", "only conversations created before `time` (RFC 3339 or Unix seconds)")
	return func(x *call) (clientCall, error) {
		var err error
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixConversation); err != nil {
			return nil, err
		}
		if f.CreatedAfter, err = parseTimeFlag(fs, "--created-after", after); err != nil {
			return nil, err
		}
		if f.CreatedBefore, err = parseTimeFlag(fs, "--created-before", before); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			convs, more, err := c.FindConversations(x.ctx, convstore.ID{}, f)
			if err != nil {
				return err
			}
			return printList(x, convs, more, api.FromConversation, func(w api.Conversation) string { return w.ID },
				[]string{"ID", "TITLE", "AGENT", "USER", "MESSAGES", "CREATED"}, func(cv *convstore.Conversation) []string {
					return []string{cv.ID.Format(convstore.PrefixConversation), orDash(truncate(cv.Title, 40)), orDash(cv.AgentID),
						orDash(cv.UserID), itoa(cv.MessageCount), fmtTime(cv.CreatedAt)}
				})
		}, nil
	}
}

func conversationsGet(x *call, c *client.Client) error {
	cv, err := c.FindConversationByID(x.ctx, convstore.ID{}, x.ids[0])
	if err != nil {
		return err
	}
	return printConversation(x, cv)
}

func conversationsCreate(fs *flagSet) func(x *call) (clientCall, error) {
	var in convstore.ConversationCreate
	var meta stringList
	var mf messageFlags
	fs.StringVar(&in.Title, "title", "", "conversation `title`")
	fs.StringVar(&in.AgentID, "agent-id", "", "the agent's `id`")
	fs.StringVar(&in.UserID, "user-id", "", "the end user's `id`")
	fs.Var(&meta, "metadata", "metadata `key=value` (repeatable)")
	mf.register(fs)
	return func(x *call) (clientCall, error) {
		var err error
		if in.Metadata, err = parseMetadata(fs, meta); err != nil {
			return nil, err
		}
		if in.Messages, err = mf.messages(fs, x.env.Stdin); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			cv, _, err := c.CreateConversation(x.ctx, convstore.ID{}, &in)
			if err != nil {
				return err
			}
			return printConversation(x, cv)
		}, nil
	}
}

func conversationsUpdate(fs *flagSet) func(x *call) (clientCall, error) {
	var title, agentID, userID string
	var meta stringList
	var clearMeta bool
	fs.StringVar(&title, "title", "", "new `title`")
	fs.StringVar(&agentID, "agent-id", "", "new agent `id`")
	fs.StringVar(&userID, "user-id", "", "new end-user `id`")
	fs.Var(&meta, "metadata", "metadata `key=value` (repeatable; replaces all metadata)")
	fs.BoolVar(&clearMeta, "clear-metadata", false, "remove all metadata")
	return func(x *call) (clientCall, error) {
		var u convstore.ConversationUpdate
		if fs.isSet("title") {
			u.Title = &title
		}
		if fs.isSet("agent-id") {
			u.AgentID = &agentID
		}
		if fs.isSet("user-id") {
			u.UserID = &userID
		}
		if len(meta) > 0 || clearMeta {
			m, err := parseMetadata(fs, meta)
			if err != nil {
				return nil, err
			}
			if m == nil {
				m = convstore.Metadata{}
			}
			u.Metadata = &m
		}
		return func(x *call, c *client.Client) error {
			cv, err := c.UpdateConversation(x.ctx, convstore.ID{}, x.ids[0], &u)
			if err != nil {
				return err
			}
			return printConversation(x, cv)
		}, nil
	}
}

func conversationsDelete(x *call, c *client.Client) error {
	id := x.ids[0]
	d, err := c.DeleteConversation(x.ctx, convstore.ID{}, id, convstore.DeleteParams{})
	if err != nil {
		return err
	}
	wire := api.ConversationDeleted{ID: id.Format(convstore.PrefixConversation), Object: api.ObjectConversationDeleted,
		Deleted: true, Receipt: api.FromDeletion(d)}
	return x.print(wire, func(w io.Writer) error {
		fmt.Fprintf(w, "deleted %s\n", id.Format(convstore.PrefixConversation))
		return printDeletionFields(w, d)
	})
}

// printConversation writes one conversation as fields or wire JSON.
func printConversation(x *call, cv *convstore.Conversation) error {
	return x.print(api.FromConversation(cv), func(w io.Writer) error {
		return fields(w,
			"id", cv.ID.Format(convstore.PrefixConversation),
			"seq", strconv.FormatInt(cv.Seq, 10),
			"title", orDash(cv.Title),
			"agent_id", orDash(cv.AgentID),
			"user_id", orDash(cv.UserID),
			"metadata", fmtMetadata(cv.Metadata),
			"messages", itoa(cv.MessageCount),
			"created_at", fmtTime(cv.CreatedAt),
			"updated_at", fmtTime(cv.UpdatedAt),
		)
	})
}

// parseTimeFlag parses an RFC 3339 time or Unix seconds; "" is nil.
func parseTimeFlag(fs *flagSet, name, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		t := time.Unix(n, 0).UTC()
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, usageErrorf(fs, "%s %q: want RFC 3339 (2024-05-01T12:00:00Z) or Unix seconds", name, s)
	}
	return &t, nil
}

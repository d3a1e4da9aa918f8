package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func conversationsCommand() *command {
	return &command{
		name:    "conversations",
		summary: "List, show, create, update and delete conversations.",
		subs: []*command{
			{name: "list", summary: "List conversations, newest first.", run: conversationsList},
			{name: "get", summary: "Show one conversation.", run: conversationsGet},
			{name: "create", summary: "Create a conversation, optionally with messages.", run: conversationsCreate},
			{name: "update", summary: "Change a conversation's title, ids or metadata.", run: conversationsUpdate},
			{name: "delete", summary: "Delete a conversation and everything it holds, for good; prints the receipt.", run: conversationsDelete},
		},
	}
}

func conversationsList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "conversations list [flags]", "List conversations, newest first.")
	var pf pageFlags
	pf.register(fs)
	var f convstore.ConversationFilter
	var after, before string
	fs.StringVar(&f.AgentID, "agent-id", "", "only conversations of this agent `id`")
	fs.StringVar(&f.UserID, "user-id", "", "only conversations of this end-user `id`")
	fs.StringVar(&after, "created-after", "", "only conversations created after `time` (RFC 3339 or Unix seconds)")
	fs.StringVar(&before, "created-before", "", "only conversations created before `time` (RFC 3339 or Unix seconds)")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	if f.PageFilter, err = pf.filter(fs, convstore.PrefixConversation); err != nil {
		return err
	}
	if f.CreatedAfter, err = parseTimeFlag(fs, "--created-after", after); err != nil {
		return err
	}
	if f.CreatedBefore, err = parseTimeFlag(fs, "--created-before", before); err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	convs, more, err := c.FindConversations(ctx, convstore.ID{}, f)
	if err != nil {
		return err
	}
	if cf.json {
		ws := make([]api.Conversation, len(convs))
		for i, cv := range convs {
			ws[i] = api.FromConversation(cv)
		}
		return writeJSON(env.Stdout, wireList(ws, func(w api.Conversation) string { return w.ID }, more))
	}
	t := newTable(env.Stdout, "ID", "TITLE", "AGENT", "USER", "MESSAGES", "CREATED")
	last := ""
	for _, cv := range convs {
		last = cv.ID.Format(convstore.PrefixConversation)
		t.row(last, orDash(truncate(cv.Title, 40)), orDash(cv.AgentID), orDash(cv.UserID), itoa(cv.MessageCount), fmtTime(cv.CreatedAt))
	}
	return t.flush(env.Stdout, more, last)
}

func conversationsGet(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "conversations get CONVERSATION_ID [flags]", "Show one conversation.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID"); err != nil {
		return err
	}
	id, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	cv, err := c.FindConversationByID(ctx, convstore.ID{}, id)
	if err != nil {
		return err
	}
	return printConversation(env.Stdout, cv, cf.json)
}

func conversationsCreate(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "conversations create [flags]",
		"Create a conversation. Initial messages come from --message role:content (repeatable)\nor --file, messages as the API takes them: a message object, {\"messages\":[…]} or\nan array of messages (\"-\" reads standard input).")
	var in convstore.ConversationCreate
	var meta stringList
	var mf messageFlags
	fs.StringVar(&in.Title, "title", "", "conversation `title`")
	fs.StringVar(&in.AgentID, "agent-id", "", "the agent's `id`")
	fs.StringVar(&in.UserID, "user-id", "", "the end user's `id`")
	fs.Var(&meta, "metadata", "metadata `key=value` (repeatable)")
	mf.register(fs)
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	if in.Metadata, err = parseMetadata(fs, meta); err != nil {
		return err
	}
	if in.Messages, err = mf.messages(fs, env.Stdin); err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	cv, _, err := c.CreateConversation(ctx, convstore.ID{}, &in)
	if err != nil {
		return err
	}
	return printConversation(env.Stdout, cv, cf.json)
}

func conversationsUpdate(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "conversations update CONVERSATION_ID [flags]",
		"Change the given fields of a conversation; --metadata replaces the whole map.")
	var title, agentID, userID string
	var meta stringList
	var clearMeta bool
	fs.StringVar(&title, "title", "", "new `title`")
	fs.StringVar(&agentID, "agent-id", "", "new agent `id`")
	fs.StringVar(&userID, "user-id", "", "new end-user `id`")
	fs.Var(&meta, "metadata", "metadata `key=value` (repeatable; replaces all metadata)")
	fs.BoolVar(&clearMeta, "clear-metadata", false, "remove all metadata")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID"); err != nil {
		return err
	}
	id, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
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
			return err
		}
		if m == nil {
			m = convstore.Metadata{}
		}
		u.Metadata = &m
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	cv, err := c.UpdateConversation(ctx, convstore.ID{}, id, &u)
	if err != nil {
		return err
	}
	return printConversation(env.Stdout, cv, cf.json)
}

func conversationsDelete(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "conversations delete CONVERSATION_ID [flags]",
		"Delete a conversation with its messages, artifacts and attachments, permanently.\nPrints the deletion receipt, which holds counts and ids but no content.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID"); err != nil {
		return err
	}
	id, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	d, err := c.DeleteConversation(ctx, convstore.ID{}, id, convstore.DeleteParams{})
	if err != nil {
		return err
	}
	if cf.json {
		return writeJSON(env.Stdout, api.ConversationDeleted{
			ID: id.Format(convstore.PrefixConversation), Object: api.ObjectConversationDeleted,
			Deleted: true, Receipt: api.FromDeletion(d),
		})
	}
	fmt.Fprintf(env.Stdout, "deleted %s\n", id.Format(convstore.PrefixConversation))
	return printDeletionFields(env.Stdout, d)
}

// printConversation writes one conversation as fields or wire JSON.
func printConversation(w io.Writer, cv *convstore.Conversation, asJSON bool) error {
	if asJSON {
		return writeJSON(w, api.FromConversation(cv))
	}
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

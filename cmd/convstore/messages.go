package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	convhttp "github.com/convstore/convstore/http"
)

func messagesCommand() *command {
	return &command{
		name:    "messages",
		summary: "Add, list, show and delete a conversation's messages.",
		subs: []*command{
			{name: "add", summary: "Append messages to a conversation.", run: messagesAdd},
			{name: "list", summary: "List a conversation's messages, oldest first.", run: messagesList},
			{name: "get", summary: "Show one message.", run: messagesGet},
			{name: "delete", summary: "Delete one message for good.", run: messagesDelete},
		},
	}
}

// messageFlags are the ways to give messages on the command line.
type messageFlags struct {
	inline stringList
	file   string
	author string
}

func (mf *messageFlags) register(fs *flagSet) {
	fs.Var(&mf.inline, "message", "a message as `role:content`, role one of user, assistant, system, tool (repeatable)")
	fs.StringVar(&mf.file, "file", "", "read messages from `file` as the API takes them: a message object, {\"messages\":[…]} or a JSON array of messages; \"-\" is standard input")
	fs.StringVar(&mf.author, "author", "", "author `name` of the --message messages")
}

// messages returns the messages given by --file then --message.
func (mf *messageFlags) messages(fs *flagSet, stdin io.Reader) ([]*convstore.MessageCreate, error) {
	var out []*convstore.MessageCreate
	if mf.file != "" {
		ms, err := readMessagesFile(mf.file, stdin)
		if err != nil {
			return nil, usageErrorf(fs, "--file %s: %v", mf.file, err)
		}
		out = append(out, ms...)
	}
	for _, s := range mf.inline {
		role, content, ok := strings.Cut(s, ":")
		if !ok || !convstore.Role(role).Valid() {
			return nil, usageErrorf(fs, "--message %q: want role:content with role user, assistant, system or tool", s)
		}
		out = append(out, &convstore.MessageCreate{Role: convstore.Role(role), Content: content, AuthorName: mf.author})
	}
	return out, nil
}

// decodeMessagesFile decodes the shapes POST …/messages accepts, and an
// array: {"messages":[…]}, a single message object, or […]. It is as
// strict as the API (unknown fields, repeated keys and case variants are
// errors), so a file the CLI accepts is one the API accepts.
func decodeMessagesFile(b []byte) ([]api.MessageCreate, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var ws []api.MessageCreate
		if err := convhttp.DecodeStrict(b, &ws); err != nil {
			return nil, fmt.Errorf("not a JSON array of messages: %s", convstore.ErrorMessage(err))
		}
		return ws, nil
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(b, &probe) == nil && probe["messages"] != nil {
		var batch api.MessagesCreate
		if err := convhttp.DecodeStrict(b, &batch); err != nil {
			return nil, fmt.Errorf(`not a {"messages":[…]} object: %s`, convstore.ErrorMessage(err))
		}
		return batch.Messages, nil
	}
	var one api.MessageCreate
	if err := convhttp.DecodeStrict(b, &one); err != nil {
		return nil, fmt.Errorf(`not a message, an array of messages or {"messages":[…]}: %s`, convstore.ErrorMessage(err))
	}
	return []api.MessageCreate{one}, nil
}

// readMessagesFile reads wire message inputs from a file or stdin.
func readMessagesFile(name string, stdin io.Reader) ([]*convstore.MessageCreate, error) {
	var b []byte
	var err error
	if name == "-" {
		if stdin == nil {
			return nil, fmt.Errorf("no standard input")
		}
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	ws, err := decodeMessagesFile(b)
	if err != nil {
		return nil, err
	}
	out := make([]*convstore.MessageCreate, len(ws))
	for i := range ws {
		out[i] = api.ToMessageCreate(&ws[i])
	}
	return out, nil
}

func messagesAdd(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "messages add CONVERSATION_ID [flags]",
		"Append messages, given by --message role:content (repeatable) or --file, in one batch.")
	var mf messageFlags
	mf.register(fs)
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID"); err != nil {
		return err
	}
	convID, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
	batch, err := mf.messages(fs, env.Stdin)
	if err != nil {
		return err
	}
	if len(batch) == 0 {
		return usageErrorf(fs, "no messages: pass --message role:content or --file")
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	ms, err := c.CreateMessages(ctx, convstore.ID{}, convID, batch)
	if err != nil {
		return err
	}
	return printMessages(env.Stdout, ms, false, cf.json)
}

func messagesList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "messages list CONVERSATION_ID [flags]", "List a conversation's messages, oldest first.")
	var pf pageFlags
	pf.register(fs)
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID"); err != nil {
		return err
	}
	convID, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
	var f convstore.MessageFilter
	if f.PageFilter, err = pf.filter(fs, convstore.PrefixMessage); err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	ms, more, err := c.FindMessages(ctx, convstore.ID{}, convID, f)
	if err != nil {
		return err
	}
	return printMessages(env.Stdout, ms, more, cf.json)
}

func messagesGet(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "messages get CONVERSATION_ID MESSAGE_ID [flags]", "Show one message.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	convID, id, err := twoIDs(fs, pos, convstore.PrefixMessage, "MESSAGE_ID")
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	m, err := c.FindMessageByID(ctx, convstore.ID{}, convID, id)
	if err != nil {
		return err
	}
	if cf.json {
		return writeJSON(env.Stdout, api.FromMessage(m))
	}
	kv := []string{
		"id", m.ID.Format(convstore.PrefixMessage),
		"conversation_id", m.ConversationID.Format(convstore.PrefixConversation),
		"role", string(m.Role),
		"author_name", orDash(m.AuthorName),
		"content", m.Content,
	}
	if len(m.Parts) > 0 {
		kv = append(kv, "parts", string(m.Parts))
	}
	if m.StartOffset != nil {
		kv = append(kv, "start_offset", m.StartOffset.String())
	}
	if m.EndOffset != nil {
		kv = append(kv, "end_offset", m.EndOffset.String())
	}
	kv = append(kv, "metadata", fmtMetadata(m.Metadata), "created_at", fmtTime(m.CreatedAt))
	return fields(env.Stdout, kv...)
}

func messagesDelete(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "messages delete CONVERSATION_ID MESSAGE_ID [flags]", "Delete one message for good.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	convID, id, err := twoIDs(fs, pos, convstore.PrefixMessage, "MESSAGE_ID")
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	if err := c.DeleteMessage(ctx, convstore.ID{}, convID, id, convstore.DeleteParams{}); err != nil {
		return err
	}
	return printDeleted(env.Stdout, id.Format(convstore.PrefixMessage), api.ObjectMessageDeleted, cf.json)
}

// printMessages writes messages as a table or a wire list.
func printMessages(w io.Writer, ms []*convstore.Message, more, asJSON bool) error {
	if asJSON {
		ws := make([]api.Message, len(ms))
		for i, m := range ms {
			ws[i] = api.FromMessage(m)
		}
		return writeJSON(w, wireList(ws, func(m api.Message) string { return m.ID }, more))
	}
	t := newTable(w, "ID", "ROLE", "AUTHOR", "CONTENT", "CREATED")
	last := ""
	for _, m := range ms {
		last = m.ID.Format(convstore.PrefixMessage)
		content := m.Content
		if content == "" && len(m.Parts) > 0 {
			content = string(m.Parts)
		}
		t.row(last, string(m.Role), orDash(m.AuthorName), truncate(content, 60), fmtTime(m.CreatedAt))
	}
	return t.flush(w, more, last)
}

// printDeleted confirms the delete of a message, artifact, attachment or key.
func printDeleted(w io.Writer, id, object string, asJSON bool) error {
	if asJSON {
		return writeJSON(w, api.Deleted{ID: id, Object: object, Deleted: true})
	}
	_, err := fmt.Fprintf(w, "deleted %s\n", id)
	return err
}

// twoIDs parses "CONVERSATION_ID CHILD_ID" arguments.
func twoIDs(fs *flagSet, pos []string, prefix, name string) (convstore.ID, convstore.ID, error) {
	if err := fs.wantArgs(pos, "CONVERSATION_ID", name); err != nil {
		return convstore.ID{}, convstore.ID{}, err
	}
	convID, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return convstore.ID{}, convstore.ID{}, err
	}
	id, err := parseArgID(fs, prefix, strings.ToLower(strings.ReplaceAll(name, "_", " ")), pos[1])
	return convID, id, err
}

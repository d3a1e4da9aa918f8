package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
	"github.com/convstore/convstore/convhttp"
)

func messagesCommand() *command {
	return group("messages", "Add, list, show and delete a conversation's messages.",
		&leaf{name: "add", summary: "Append messages to a conversation.",
			help: "Append messages, given by --message role:content (repeatable) or --file, in one batch.",
			args: []string{"CONVERSATION_ID"}, flags: messagesAdd},
		&leaf{name: "list", summary: "List a conversation's messages, oldest first.", args: []string{"CONVERSATION_ID"}, flags: messagesList},
		&leaf{name: "get", summary: "Show one message.", args: []string{"CONVERSATION_ID", "MESSAGE_ID"}, run: messagesGet},
		&leaf{name: "delete", summary: "Delete one message for good.", args: []string{"CONVERSATION_ID", "MESSAGE_ID"}, run: messagesDelete},
	)
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

func messagesAdd(fs *flagSet) func(x *call) (clientCall, error) {
	var mf messageFlags
	mf.register(fs)
	return func(x *call) (clientCall, error) {
		batch, err := mf.messages(fs, x.env.Stdin)
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			return nil, usageErrorf(fs, "no messages: pass --message role:content or --file")
		}
		return func(x *call, c *client.Client) error {
			ms, err := c.CreateMessages(x.ctx, convstore.ID{}, x.ids[0], batch)
			if err != nil {
				return err
			}
			return printMessages(x, ms, false)
		}, nil
	}
}

func messagesList(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	return func(x *call) (clientCall, error) {
		var f convstore.MessageFilter
		var err error
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixMessage); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			ms, more, err := c.FindMessages(x.ctx, convstore.ID{}, x.ids[0], f)
			if err != nil {
				return err
			}
			return printMessages(x, ms, more)
		}, nil
	}
}

func messagesGet(x *call, c *client.Client) error {
	m, err := c.FindMessageByID(x.ctx, convstore.ID{}, x.ids[0], x.ids[1])
	if err != nil {
		return err
	}
	return x.print(api.FromMessage(m), func(w io.Writer) error {
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
		return fields(w, kv...)
	})
}

func messagesDelete(x *call, c *client.Client) error {
	if err := c.DeleteMessage(x.ctx, convstore.ID{}, x.ids[0], x.ids[1], convstore.DeleteParams{}); err != nil {
		return err
	}
	return x.printDeleted(x.ids[1].Format(convstore.PrefixMessage), api.ObjectMessageDeleted)
}

// printMessages writes messages as a table or a wire list.
func printMessages(x *call, ms []*convstore.Message, more bool) error {
	return printList(x, ms, more, api.FromMessage, func(m api.Message) string { return m.ID },
		[]string{"ID", "ROLE", "AUTHOR", "CONTENT", "CREATED"}, func(m *convstore.Message) []string {
			content := m.Content
			if content == "" && len(m.Parts) > 0 {
				content = string(m.Parts)
			}
			return []string{m.ID.Format(convstore.PrefixMessage), string(m.Role), orDash(m.AuthorName), truncate(content, 60), fmtTime(m.CreatedAt)}
		})
}

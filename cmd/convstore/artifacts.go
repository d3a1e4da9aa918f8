package main

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

func artifactsCommand() *command {
	return group("artifacts", "Add, list, show and delete a conversation's artifacts (summaries, topics, insights…).",
		&leaf{name: "add", summary: "Add an artifact to a conversation.", help: "Add derived data to a conversation. It needs --text or --data.",
			args: []string{"CONVERSATION_ID"}, synopsis: "CONVERSATION_ID --type TYPE", flags: artifactsAdd},
		&leaf{name: "list", summary: "List a conversation's artifacts.", help: "List a conversation's artifacts, oldest first.",
			args: []string{"CONVERSATION_ID"}, flags: artifactsList},
		&leaf{name: "get", summary: "Show one artifact.", args: []string{"CONVERSATION_ID", "ARTIFACT_ID"}, run: artifactsGet},
		&leaf{name: "delete", summary: "Delete one artifact for good.", args: []string{"CONVERSATION_ID", "ARTIFACT_ID"}, run: artifactsDelete},
	)
}

func artifactsAdd(fs *flagSet) func(x *call) (clientCall, error) {
	var typ, text, data, score string
	var msgIDs stringList
	fs.StringVar(&typ, "type", "", "artifact `type`: "+artifactTypeList())
	fs.StringVar(&text, "text", "", "the artifact's `text`")
	fs.StringVar(&data, "data", "", "a `JSON` value of structured data")
	fs.Var(&msgIDs, "message-id", "`id` of a message the artifact refers to (repeatable)")
	fs.StringVar(&score, "score", "", "a `number`, e.g. a confidence")
	return func(x *call) (clientCall, error) {
		if typ == "" {
			return nil, usageErrorf(fs, "--type is required")
		}
		in := convstore.ArtifactCreate{Type: convstore.ArtifactType(typ), Text: text}
		if data != "" {
			if !json.Valid([]byte(data)) {
				return nil, usageErrorf(fs, "--data is not valid JSON")
			}
			in.Data = json.RawMessage(data)
		}
		if score != "" {
			f, err := strconv.ParseFloat(score, 64)
			if err != nil {
				return nil, usageErrorf(fs, "--score %q is not a number", score)
			}
			in.Score = &f
		}
		for _, s := range msgIDs {
			id, err := parseArgID(fs, convstore.PrefixMessage, "--message-id", s)
			if err != nil {
				return nil, err
			}
			in.MessageIDs = append(in.MessageIDs, id)
		}
		return func(x *call, c *client.Client) error {
			a, err := c.CreateArtifact(x.ctx, convstore.ID{}, x.ids[0], &in)
			if err != nil {
				return err
			}
			return printArtifact(x, a)
		}, nil
	}
}

func artifactsList(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	var typ string
	fs.StringVar(&typ, "type", "", "only artifacts of this `type`")
	return func(x *call) (clientCall, error) {
		f := convstore.ArtifactFilter{Type: convstore.ArtifactType(typ)}
		var err error
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixArtifact); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			arts, more, err := c.FindArtifacts(x.ctx, convstore.ID{}, x.ids[0], f)
			if err != nil {
				return err
			}
			return printList(x, arts, more, api.FromArtifact, func(a api.Artifact) string { return a.ID },
				[]string{"ID", "TYPE", "TEXT", "SCORE", "CREATED"}, func(a *convstore.Artifact) []string {
					text := a.Text
					if text == "" {
						text = string(a.Data)
					}
					return []string{a.ID.Format(convstore.PrefixArtifact), string(a.Type), truncate(text, 60), fmtScore(a.Score), fmtTime(a.CreatedAt)}
				})
		}, nil
	}
}

func artifactsGet(x *call, c *client.Client) error {
	a, err := c.FindArtifactByID(x.ctx, convstore.ID{}, x.ids[0], x.ids[1])
	if err != nil {
		return err
	}
	return printArtifact(x, a)
}

func artifactsDelete(x *call, c *client.Client) error {
	if err := c.DeleteArtifact(x.ctx, convstore.ID{}, x.ids[0], x.ids[1], convstore.DeleteParams{}); err != nil {
		return err
	}
	return x.printDeleted(x.ids[1].Format(convstore.PrefixArtifact), api.ObjectArtifactDeleted)
}

// printArtifact writes one artifact as fields or wire JSON.
func printArtifact(x *call, a *convstore.Artifact) error {
	if x.json() {
		return writeJSON(x.env.Stdout, api.FromArtifact(a))
	}
	ids := make([]string, len(a.MessageIDs))
	for i, id := range a.MessageIDs {
		ids[i] = id.Format(convstore.PrefixMessage)
	}
	data := "-"
	if len(a.Data) > 0 {
		data = string(a.Data)
	}
	return fields(x.env.Stdout,
		"id", a.ID.Format(convstore.PrefixArtifact),
		"conversation_id", a.ConversationID.Format(convstore.PrefixConversation),
		"type", string(a.Type),
		"text", orDash(a.Text),
		"data", data,
		"message_ids", orDash(strings.Join(ids, " ")),
		"score", fmtScore(a.Score),
		"created_at", fmtTime(a.CreatedAt),
	)
}

func fmtScore(s *float64) string {
	if s == nil {
		return "-"
	}
	return strconv.FormatFloat(*s, 'g', -1, 64)
}

func artifactTypeList() string {
	names := make([]string, len(convstore.ArtifactTypes))
	for i, t := range convstore.ArtifactTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

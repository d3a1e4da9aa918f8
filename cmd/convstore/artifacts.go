package main

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func artifactsCommand() *command {
	return &command{
		name:    "artifacts",
		summary: "Add, list, show and delete a conversation's artifacts (summaries, topics, insights…).",
		subs: []*command{
			{name: "add", summary: "Add an artifact to a conversation.", run: artifactsAdd},
			{name: "list", summary: "List a conversation's artifacts.", run: artifactsList},
			{name: "get", summary: "Show one artifact.", run: artifactsGet},
			{name: "delete", summary: "Delete one artifact for good.", run: artifactsDelete},
		},
	}
}

func artifactsAdd(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "artifacts add CONVERSATION_ID --type TYPE [flags]",
		"Add derived data to a conversation. It needs --text or --data.")
	var typ, text, data, score string
	var msgIDs stringList
	fs.StringVar(&typ, "type", "", "artifact `type`: "+artifactTypeList())
	fs.StringVar(&text, "text", "", "the artifact's `text`")
	fs.StringVar(&data, "data", "", "a `JSON` value of structured data")
	fs.Var(&msgIDs, "message-id", "`id` of a message the artifact refers to (repeatable)")
	fs.StringVar(&score, "score", "", "a `number`, e.g. a confidence")
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
	if typ == "" {
		return usageErrorf(fs, "--type is required")
	}
	in := convstore.ArtifactCreate{Type: convstore.ArtifactType(typ), Text: text}
	if data != "" {
		if !json.Valid([]byte(data)) {
			return usageErrorf(fs, "--data is not valid JSON")
		}
		in.Data = json.RawMessage(data)
	}
	if score != "" {
		f, err := strconv.ParseFloat(score, 64)
		if err != nil {
			return usageErrorf(fs, "--score %q is not a number", score)
		}
		in.Score = &f
	}
	for _, s := range msgIDs {
		id, err := parseArgID(fs, convstore.PrefixMessage, "--message-id", s)
		if err != nil {
			return err
		}
		in.MessageIDs = append(in.MessageIDs, id)
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	a, err := c.CreateArtifact(ctx, convstore.ID{}, convID, &in)
	if err != nil {
		return err
	}
	return printArtifact(env.Stdout, a, cf.json)
}

func artifactsList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "artifacts list CONVERSATION_ID [flags]", "List a conversation's artifacts, oldest first.")
	var pf pageFlags
	pf.register(fs)
	var typ string
	fs.StringVar(&typ, "type", "", "only artifacts of this `type`")
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
	f := convstore.ArtifactFilter{Type: convstore.ArtifactType(typ)}
	if f.PageFilter, err = pf.filter(fs, convstore.PrefixArtifact); err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	arts, more, err := c.FindArtifacts(ctx, convstore.ID{}, convID, f)
	if err != nil {
		return err
	}
	if cf.json {
		ws := make([]api.Artifact, len(arts))
		for i, a := range arts {
			ws[i] = api.FromArtifact(a)
		}
		return writeJSON(env.Stdout, wireList(ws, func(a api.Artifact) string { return a.ID }, more))
	}
	t := newTable(env.Stdout, "ID", "TYPE", "TEXT", "SCORE", "CREATED")
	last := ""
	for _, a := range arts {
		last = a.ID.Format(convstore.PrefixArtifact)
		text := a.Text
		if text == "" {
			text = string(a.Data)
		}
		t.row(last, string(a.Type), truncate(text, 60), fmtScore(a.Score), fmtTime(a.CreatedAt))
	}
	return t.flush(env.Stdout, more, last)
}

func artifactsGet(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "artifacts get CONVERSATION_ID ARTIFACT_ID [flags]", "Show one artifact.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	convID, id, err := twoIDs(fs, pos, convstore.PrefixArtifact, "ARTIFACT_ID")
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	a, err := c.FindArtifactByID(ctx, convstore.ID{}, convID, id)
	if err != nil {
		return err
	}
	return printArtifact(env.Stdout, a, cf.json)
}

func artifactsDelete(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "artifacts delete CONVERSATION_ID ARTIFACT_ID [flags]", "Delete one artifact for good.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	convID, id, err := twoIDs(fs, pos, convstore.PrefixArtifact, "ARTIFACT_ID")
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	if err := c.DeleteArtifact(ctx, convstore.ID{}, convID, id, convstore.DeleteParams{}); err != nil {
		return err
	}
	return printDeleted(env.Stdout, id.Format(convstore.PrefixArtifact), api.ObjectArtifactDeleted, cf.json)
}

// printArtifact writes one artifact as fields or wire JSON.
func printArtifact(w io.Writer, a *convstore.Artifact, asJSON bool) error {
	if asJSON {
		return writeJSON(w, api.FromArtifact(a))
	}
	ids := make([]string, len(a.MessageIDs))
	for i, id := range a.MessageIDs {
		ids[i] = id.Format(convstore.PrefixMessage)
	}
	data := "-"
	if len(a.Data) > 0 {
		data = string(a.Data)
	}
	return fields(w,
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

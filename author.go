package convstore

// MetaAuthorID is the message metadata key whose value identifies a
// message's author beyond a name (a user id or an email): the Symbl door
// stores from.userId under it. Authors are told apart by it, or by their
// name when a message has none.
const MetaAuthorID = "symbl.userId"

// Author is one distinct author of a conversation's messages, as its
// first message names it.
type Author struct {
	MessageID ID     // the author's first message
	Name      string // that message's AuthorName
	UserID    string // that message's metadata value under MetaAuthorID
}

// Key returns what tells a from the conversation's other authors: its
// user id, else its name; "" for neither (no author).
func (a *Author) Key() string {
	if a.UserID != "" {
		return "u:" + a.UserID
	}
	if a.Name != "" {
		return "n:" + a.Name
	}
	return ""
}

// AuthorOf returns the author m names, as if m were its first message;
// nil when m names none (no name and no MetaAuthorID value).
func AuthorOf(m *Message) *Author {
	a := &Author{MessageID: m.ID, Name: m.AuthorName, UserID: m.Metadata[MetaAuthorID]}
	if a.Key() == "" {
		return nil
	}
	return a
}

// AuthorsOf returns the distinct authors of msgs (oldest first), in order
// of first message: what FindAuthors returns of a conversation holding
// msgs.
func AuthorsOf(msgs []*Message) []*Author {
	seen := map[string]bool{}
	out := []*Author{}
	for _, m := range msgs {
		if a := AuthorOf(m); a != nil && !seen[a.Key()] {
			seen[a.Key()] = true
			out = append(out, a)
		}
	}
	return out
}

package elevenlabs

// SetSearchBounds lowers the message search's bounds for a test and
// returns a function that restores them.
func SetSearchBounds(conversations, messages int) (restore func()) {
	c, m := maxSearchConversations, maxSearchMessages
	maxSearchConversations, maxSearchMessages = conversations, messages
	return func() { maxSearchConversations, maxSearchMessages = c, m }
}

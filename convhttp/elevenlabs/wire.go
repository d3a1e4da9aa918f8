package elevenlabs

import "encoding/json"

// Enum values of the ElevenLabs wire.
const (
	statusDone = "done" // every stored conversation has ended

	successSuccess = "success"
	successFailure = "failure"
	successUnknown = "unknown"

	roleUser  = "user"
	roleAgent = "agent"
)

// successResults are the values of EvaluationSuccessResult.
var successResults = []string{successSuccess, successFailure, successUnknown}

// conversationStatuses are the values of the conversation status enum.
var conversationStatuses = []string{"initiated", "in-progress", "processing", statusDone, "failed"}

// conversationsPage is GetConversationsPageResponseModel.
type conversationsPage struct {
	Conversations []conversationSummary `json:"conversations"`
	NextCursor    *string               `json:"next_cursor"`
	HasMore       bool                  `json:"has_more"`
}

// conversationSummary is ConversationSummaryResponseModel. The SDKs
// require agent_id, conversation_id, start_time_unix_secs,
// call_duration_secs, message_count, status and call_successful.
type conversationSummary struct {
	AgentID           string   `json:"agent_id"`
	AgentName         *string  `json:"agent_name,omitempty"`
	ConversationID    string   `json:"conversation_id"`
	StartTimeUnixSecs int64    `json:"start_time_unix_secs"`
	CallDurationSecs  int64    `json:"call_duration_secs"`
	MessageCount      int      `json:"message_count"`
	Status            string   `json:"status"`
	CallSuccessful    string   `json:"call_successful"`
	TranscriptSummary *string  `json:"transcript_summary,omitempty"`
	CallSummaryTitle  *string  `json:"call_summary_title,omitempty"`
	Direction         *string  `json:"direction,omitempty"`
	TagIDs            []string `json:"tag_ids"`
}

// GetConversationResponseModel is streamed (see getConversation): the
// members of conversationHead, then "transcript" (a list of transcript),
// then the members of conversationTail. The SDKs require agent_id,
// conversation_id, status, metadata, transcript and the four has_*audio
// booleans.

// conversationHead is the members of a conversation before its transcript.
type conversationHead struct {
	AgentID        string   `json:"agent_id"`
	AgentName      *string  `json:"agent_name,omitempty"`
	ConversationID string   `json:"conversation_id"`
	Status         string   `json:"status"`
	UserID         *string  `json:"user_id,omitempty"`
	TagIDs         []string `json:"tag_ids"`
}

// conversationTail is the members of a conversation after its transcript.
type conversationTail struct {
	Metadata callMetadata  `json:"metadata"`
	Analysis *callAnalysis `json:"analysis"`
	// ConversationInitiationClientData is optional and not stored: omitted.
	HasAudio          bool `json:"has_audio"`
	HasUserAudio      bool `json:"has_user_audio"`
	HasResponseAudio  bool `json:"has_response_audio"`
	HasAuxiliaryAudio bool `json:"has_auxiliary_audio"`
}

// callMetadata is ConversationHistoryMetadataCommonModel; only
// start_time_unix_secs and call_duration_secs are required.
type callMetadata struct {
	StartTimeUnixSecs int64         `json:"start_time_unix_secs"`
	CallDurationSecs  int64         `json:"call_duration_secs"`
	MainLanguage      *string       `json:"main_language,omitempty"`
	TerminationReason *string       `json:"termination_reason,omitempty"`
	Feedback          *callFeedback `json:"feedback"`
}

// feedbackThumbs is the ConversationFeedbackType of like/dislike feedback.
const feedbackThumbs = "thumbs"

// callFeedback is ConversationHistoryFeedbackCommonModel (every key
// optional): the conversation's overall like or dislike.
type callFeedback struct {
	Type         *string `json:"type"`
	OverallScore *string `json:"overall_score"`
	Likes        int     `json:"likes"`
	Dislikes     int     `json:"dislikes"`
}

// transcript is one turn (ConversationHistoryTranscript…Model): role and
// time_in_call_secs are required; tool_calls and tool_results are sent as
// empty lists because stored messages carry no ElevenLabs tool records.
type transcript struct {
	Role           string    `json:"role"`
	Message        *string   `json:"message"`
	ToolCalls      []jsonRaw `json:"tool_calls"`
	ToolResults    []jsonRaw `json:"tool_results"`
	TimeInCallSecs int64     `json:"time_in_call_secs"`
}

// callAnalysis is ConversationHistoryAnalysisCommonModel: call_successful
// and transcript_summary are required.
type callAnalysis struct {
	EvaluationCriteriaResults map[string]json.RawMessage `json:"evaluation_criteria_results"`
	DataCollectionResults     map[string]json.RawMessage `json:"data_collection_results"`
	CallSuccessful            string                     `json:"call_successful"`
	TranscriptSummary         string                     `json:"transcript_summary"`
	CallSummaryTitle          *string                    `json:"call_summary_title,omitempty"`
}

// jsonRaw is any JSON value, for lists this door always sends empty.
type jsonRaw = json.RawMessage

// summaryResponse is GetConversationSummaryResponseModel: conversation_id,
// agent_id, status, message_count and note are required.
type summaryResponse struct {
	ConversationID    string           `json:"conversation_id"`
	AgentID           string           `json:"agent_id"`
	Status            string           `json:"status"`
	CallSummaryTitle  *string          `json:"call_summary_title,omitempty"`
	TranscriptSummary *string          `json:"transcript_summary,omitempty"`
	CallSuccessful    string           `json:"call_successful"`
	MessageCount      int              `json:"message_count"`
	Messages          []summaryMessage `json:"messages"` // null when omitted
	MessagesOmitted   bool             `json:"messages_omitted"`
	Note              string           `json:"note"`
}

// summaryMessage is ConversationSummaryMessageModel: a plain chat turn.
type summaryMessage struct {
	Role    string `json:"role"`
	Message string `json:"message"`
}

// sipMessagesPage is GetSipLogMessagesResponse; sip_messages is required.
type sipMessagesPage struct {
	SIPMessages []jsonRaw `json:"sip_messages"`
	NextCursor  *string   `json:"next_cursor"`
	HasMore     bool      `json:"has_more"`
}

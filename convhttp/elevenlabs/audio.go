package elevenlabs

import (
	"context"
	"mime"
	"net/http"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Attachment name prefixes of the separate audio tracks ElevenLabs reports.
const (
	userAudioPrefix      = "user_audio"
	responseAudioPrefix  = "response_audio"
	auxiliaryAudioPrefix = "auxiliary_audio"
)

// audioSet is what a conversation's attachments say about its audio.
type audioSet struct {
	main                      *convstore.Attachment // served by GET …/audio; nil: has_audio false
	user, response, auxiliary bool
}

// isAudio reports whether a content type is audio/*.
func isAudio(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && strings.HasPrefix(mt, "audio/")
}

// audioAttachments classifies the audio/* attachments: the main recording
// is the first (oldest) one named "audio" or "audio.<ext>", else the first
// one that is not a user_audio*, response_audio* or auxiliary_audio* track,
// else the first audio attachment at all. Tracks set their has_* flags.
func (d *Door) audioAttachments(ctx context.Context, tid, cid convstore.ID) (audioSet, error) {
	var set audioSet
	var named, plain, first *convstore.Attachment
	f := convstore.AttachmentFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc}}
	for {
		atts, more, err := d.store.FindAttachments(ctx, tid, cid, f)
		if err != nil {
			return set, err
		}
		for _, a := range atts {
			if !isAudio(a.ContentType) {
				continue
			}
			if first == nil {
				first = a
			}
			switch n := a.Name; {
			case n == "audio" || strings.HasPrefix(n, "audio."):
				if named == nil {
					named = a
				}
			case strings.HasPrefix(n, userAudioPrefix):
				set.user = true
			case strings.HasPrefix(n, responseAudioPrefix):
				set.response = true
			case strings.HasPrefix(n, auxiliaryAudioPrefix):
				set.auxiliary = true
			default:
				if plain == nil {
					plain = a
				}
			}
		}
		if !more || len(atts) == 0 {
			break
		}
		f.After = atts[len(atts)-1].ID
	}
	switch {
	case named != nil:
		set.main = named
	case plain != nil:
		set.main = plain
	default:
		set.main = first
	}
	return set, nil
}

// getAudio serves GET /v1/convai/conversations/{conversation_id}/audio:
// the main recording's bytes with its stored content type; 404
// audio_not_found when the conversation has no audio attachment.
func (d *Door) getAudio(w http.ResponseWriter, r *http.Request) error {
	c, err := d.findConversation(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	set, err := d.audioAttachments(ctx, tid, c.ID)
	if err != nil {
		return notFound(err)
	}
	if set.main == nil {
		return errAudioNotFound
	}
	a, body, err := d.store.OpenAttachment(ctx, tid, c.ID, set.main.Name)
	if err != nil {
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return errAudioNotFound // deleted between listing and opening
		}
		return err
	}
	defer body.Close()
	return convhttp.WriteAttachment(w, r, a, body)
}

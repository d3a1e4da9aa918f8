package botpress

import (
	"net/http"
	"time"

	"github.com/convstore/convstore"
)

// Bounds of user fields (Botpress's own are undocumented).
const (
	maxUserNameLen   = 256
	maxPictureURLLen = 2048
)

// createUser serves POST /v1/chat/users. convstore has no users: the door
// validates the body and answers a fresh id ("user_" + 26 base-32
// characters) without storing anything, so clients that create a user before
// messaging work. A message's userId is kept on the message itself.
func (d *Door) createUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := botID(r); err != nil {
		return err
	}
	var in userIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Tags == nil {
		return invalid("tags", "tags is required: an object of strings, {} for none.")
	}
	meta := convstore.Metadata{}
	if err := applyPairs(meta, tagPrefix, "tags", in.Tags); err != nil {
		return err
	}
	u := user{Tags: pairs(meta, tagPrefix)}
	if in.Name != nil {
		if len(*in.Name) > maxUserNameLen {
			return invalid("name", "name must be at most %d bytes.", maxUserNameLen)
		}
		u.Name = *in.Name
	}
	if in.PictureURL != nil {
		if len(*in.PictureURL) > maxPictureURLLen {
			return invalid("pictureUrl", "pictureUrl must be at most %d bytes.", maxPictureURLLen)
		}
		u.PictureURL = *in.PictureURL
	}
	id := convstore.NewID()
	u.ID = "user_" + id.Base32()
	u.CreatedAt = formatTime(time.Now())
	u.UpdatedAt = u.CreatedAt
	return ok(w, userResponse{u})
}

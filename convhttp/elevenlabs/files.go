package elevenlabs

import (
	"bufio"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// File uploads are attachments named filePrefix + file_id, so the id alone
// finds the attachment again; file ids are "file_" and 26 base32 digits.
const (
	filePrefix   = "elevenlabs_"
	fileIDPrefix = "file"
)

// errFileNotFound answers a file id that names no file of the
// conversation, of an unknown conversation or of another tenant's alike.
var errFileNotFound = &convstore.Error{Code: convstore.ENOTFOUND,
	Message: "A file with the given file_id was not found in this conversation."}

// fileUploaded is ConvAiFileUploadResponseModel.
type fileUploaded struct {
	FileID string `json:"file_id"`
}

// fileError is FastAPI's 422 for the multipart field "file".
func fileError(typ, msg string) error {
	ve := &validationError{}
	ve.add(validationItem{Type: typ, Loc: []any{"body", "file"}, Msg: msg})
	return ve.orNil()
}

// uploadable reports whether a file of media type mt may be uploaded:
// ElevenLabs takes images, PDFs and text files.
func uploadable(mt string) bool {
	return strings.HasPrefix(mt, "image/") || strings.HasPrefix(mt, "text/") || mt == "application/pdf"
}

// postFile serves POST /v1/convai/conversations/{conversation_id}/files: a
// multipart/form-data body whose part "file" (an image, a PDF or a text
// file) is stored as an attachment of the conversation; the answer is 200
// {"file_id": "file_…"}.
func (d *Door) postFile(w http.ResponseWriter, r *http.Request) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	ctx, tid, max := r.Context(), convhttp.Tenant(r), d.srv.Config().MaxAttachmentBytes
	// Answer 404 before reading a possibly large body.
	if _, err := d.store.FindConversationByID(ctx, tid, id); err != nil {
		return notFound(err)
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return fileError("missing", "Field required")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fileError("missing", "Field required")
		} else if err != nil {
			return fileError("value_error", "Value error, the multipart body is malformed")
		}
		if part.FormName() != "file" {
			continue
		}
		if part.FileName() == "" {
			return fileError("value_error", "Value error, Expected UploadFile, received: <class 'str'>")
		}
		body := bufio.NewReader(part)
		ct := part.Header.Get("Content-Type")
		pmt, _, perr := mime.ParseMediaType(ct)
		if perr != nil || pmt == "application/octet-stream" {
			head, _ := body.Peek(512)
			ct = http.DetectContentType(head)
			pmt, _, _ = mime.ParseMediaType(ct)
		}
		if !uploadable(pmt) {
			return fileError("value_error", "Value error, only image, PDF and text files can be uploaded")
		}
		fileID := convstore.NewID().Format(fileIDPrefix)
		_, err = d.store.PutAttachment(ctx, tid, id, &convstore.AttachmentPut{
			Name: filePrefix + fileID, ContentType: ct, Body: body, MaxBytes: max,
			Actor: convhttp.DeleteParams(r, DoorName),
		})
		if err != nil {
			return notFound(err)
		}
		return convhttp.WriteJSON(w, http.StatusOK, fileUploaded{FileID: fileID})
	}
}

// deleteFile serves DELETE /v1/convai/conversations/{conversation_id}/files/{file_id}:
// the upload's attachment is deleted for good (with an audit entry); the
// answer is 200 {"file_id": …}. ElevenLabs refuses once the file was used
// in the (live) conversation; convstore holds ended conversations, so the
// delete always goes ahead.
func (d *Door) deleteFile(w http.ResponseWriter, r *http.Request) error {
	id, err := conversationID(r)
	if err != nil {
		return errFileNotFound
	}
	fid, err := convstore.ParseID(fileIDPrefix, "file_id", r.PathValue("file_id"))
	if err != nil {
		return errFileNotFound
	}
	fileID := fid.Format(fileIDPrefix)
	err = d.store.DeleteAttachment(r.Context(), convhttp.Tenant(r), id, filePrefix+fileID, convhttp.DeleteParams(r, DoorName))
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return errFileNotFound
	} else if err != nil {
		return err
	}
	return convhttp.WriteJSON(w, http.StatusOK, fileUploaded{FileID: fileID})
}

package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/request"
)

// Attachments in the Service Desk API: a temporary upload, then attached
// to a request with an optional comment, as JSM does it.

func (s *Server) jsmTemporaryFile(r *http.Request, who access.Caller) (any, error) {
	// JSM's XSRF guard for multipart posts; clients send it.
	if r.Header.Get("X-Atlassian-Token") != "no-check" {
		return nil, fault.Forbid("XSRF check failed: send the header X-Atlassian-Token: no-check with file uploads.", "")
	}
	if _, err := s.jsmPortal(r, who); err != nil {
		return nil, err
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fault.New(fault.TooLarge, fmt.Sprintf("This file is larger than %d MB.", s.b.Requests.MaxUpload>>20), "")
		}
		return nil, fault.Invalidf("Send the file as multipart/form-data in a field named file.")
	}
	defer r.MultipartForm.RemoveAll()
	var out []map[string]string
	for _, fh := range r.MultipartForm.File["file"] {
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, s.b.Requests.MaxUpload+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		a, err := s.b.Requests.Upload(r.Context(), who, callerOf(r).client, fh.Filename, data)
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]string{"temporaryAttachmentId": u64(a.ID), "fileName": a.Name})
	}
	if len(out) == 0 {
		return nil, fault.Invalidf("Send the file as multipart/form-data in a field named file.")
	}
	return map[string]any{"temporaryAttachments": out}, nil
}

// jsmAttachment is JSM's Attachment.
type jsmAttachment struct {
	Filename string            `json:"filename"`
	Author   *jsmUser          `json:"author,omitempty"`
	Created  jsmDate           `json:"created"`
	Size     int64             `json:"size"`
	MimeType string            `json:"mimeType"`
	Links    map[string]string `json:"_links"`
}

func (s *Server) attachmentsOf(r *http.Request, v request.View) []jsmAttachment {
	base := s.baseURL(r.Context())
	view := func(a request.AttachmentView, at jsmDate, author *request.PersonView) jsmAttachment {
		out := jsmAttachment{Filename: a.Name, Created: at, Size: a.Size, MimeType: a.Type,
			Links: map[string]string{"self": base + jsmBase + "/request/" + u64(v.ID) + "/attachment/" + u64(a.ID),
				"content": base + jsmBase + "/request/" + u64(v.ID) + "/attachment/" + u64(a.ID)}}
		if author != nil {
			u := userView(base, *author)
			out.Author = &u
		}
		return out
	}
	var out []jsmAttachment
	for _, a := range v.Attachments {
		out = append(out, view(a, dateOf(v.Created), &v.Reporter))
	}
	for _, act := range v.Activity {
		for _, a := range act.Attachments {
			out = append(out, view(a, dateOf(act.At), act.Author))
		}
	}
	return out
}

func (s *Server) attachmentsPage(r *http.Request, v request.View, start, limit int) jsmPage {
	return pageOf(s, r, s.attachmentsOf(r, v), start, limit)
}

func (s *Server) jsmAttach(r *http.Request, who access.Caller) (any, error) {
	in, err := jsmBody[struct {
		TemporaryAttachmentIDs []string `json:"temporaryAttachmentIds"`
		Public                 *bool    `json:"public"`
		AdditionalComment      struct {
			Body string `json:"body"`
		} `json:"additionalComment"`
	}](r)
	if err != nil {
		return nil, err
	}
	ids, _, err := jsmPeople{AccountIDs: in.TemporaryAttachmentIDs}.split()
	if err != nil {
		return nil, fault.InvalidFields(map[string]string{"temporaryAttachmentIds": "Give the ids attachTemporaryFile returned."})
	}
	internal := in.Public != nil && !*in.Public
	a, err := s.b.Requests.Comment(r.Context(), who, callerOf(r).client, r.PathValue("key"),
		request.CommentInput{Body: in.AdditionalComment.Body, Internal: internal, Attachments: ids})
	if err != nil {
		return nil, err
	}
	v, err := s.b.Requests.Get(r.Context(), who, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	var added []jsmAttachment
	for _, act := range v.Activity {
		if act.ID == a.ID {
			added = s.attachmentsOf(r, request.View{Row: v.Row, Activity: []request.ActivityView{act}})
		}
	}
	base := s.baseURL(r.Context())
	c := jsmComment{ID: a.ID, Body: in.AdditionalComment.Body, Public: a.Public, Created: dateOf(a.At),
		Links: selfLink(base, "/request/"+escape(r.PathValue("key"))+"/comment/"+a.ID)}
	if a.Author != nil {
		c.Author = userView(base, *a.Author)
	}
	return map[string]any{"attachments": pageOf(s, r, added, 0, 50), "comment": c}, nil
}

// jsmAttachmentContent sends one of a request's files, sandboxed like the
// portal's downloads; a file of another request is not found here.
func (s *Server) jsmAttachmentContent(w http.ResponseWriter, r *http.Request) {
	who, err := s.who(r)
	if err != nil {
		jsmFail(w, r, err)
		return
	}
	v, err := s.b.Requests.Get(r.Context(), who, r.PathValue("key"))
	if err != nil {
		jsmFail(w, r, err)
		return
	}
	id, err := jsmID(r, "att", "attachment")
	if err != nil {
		jsmFail(w, r, err)
		return
	}
	a, data, err := s.b.Requests.File(r.Context(), who, id)
	if err == nil && a.Request != v.ID {
		err = jsmNotFound("attachment", r.PathValue("att"))
	}
	if err != nil {
		jsmFail(w, r, err)
		return
	}
	sendBytes(w, a.Type, "attachment", a.Name, "private, no-store", data)
}

package request

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/kv"
)

// Attachment is a file on a request or one of its comments. Until it is
// bound (Request == 0) it is a temporary upload that only its uploader may
// bind, and it is dropped when it expires.
type Attachment struct {
	ID       uint64    `json:"id,string"`
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Type     string    `json:"type"`
	Request  uint64    `json:"request,omitempty"`
	Event    int       `json:"event"` // the comment it came with; -1: the request itself
	Internal bool      `json:"internal"`
	Owner    uint64    `json:"owner"`  // who uploaded it (0: an anonymous visitor, by Client)
	Client   string    `json:"client"` // the anonymous uploader's address
	Expires  time.Time `json:"expires,omitzero"`
}

const uploadTTL = time.Hour

// CleanName makes an uploaded file name safe to store and to send back.
func CleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" || name == "" {
		name = "file"
	}
	for utf8.RuneCountInString(name) > 120 {
		r := []rune(name)
		name = string(r[len(r)-120:])
	}
	return name
}

// Upload stores a temporary attachment for the caller. Anonymous visitors
// may upload where they may raise anonymously: client ties the upload to
// their address.
func (s *Service) Upload(ctx context.Context, who access.Caller, client, name string, data []byte) (Attachment, error) {
	if !who.Anonymous() && !who.Active {
		return Attachment{}, access.Decision{Outcome: access.Deactivated}.Err()
	}
	if who.Anonymous() {
		// Anonymous uploads could only be tied to an address, which a
		// proxy or a shared network makes everyone's: files need a login.
		return Attachment{}, fault.Unauthorized("Log in to attach files.", "You can raise the request without them and add them once you have set your password.")
	}
	if !who.Anonymous() && !s.raisesSomewhere(ctx, who) {
		return Attachment{}, fault.Forbid("You cannot raise requests in any portal, so there is nothing to attach files to.", "Ask the team that runs the help center to add you as a customer.")
	}
	if int64(len(data)) > s.MaxUpload {
		return Attachment{}, fault.New(fault.TooLarge, fmt.Sprintf("This file is larger than %d MB.", s.MaxUpload>>20), "Attach a smaller file, or share a link to it.")
	}
	if len(data) == 0 {
		return Attachment{}, fault.Invalidf("The file is empty.")
	}
	a := Attachment{Name: CleanName(name), Size: int64(len(data)), Owner: who.AccountID, Event: -1, Expires: s.now().Add(uploadTTL)}
	if who.Anonymous() {
		a.Client = client
	}
	a.Type = http.DetectContentType(data)
	if ext := mime.TypeByExtension(strings.ToLower(filepath.Ext(a.Name))); ext != "" && strings.HasPrefix(a.Type, "application/octet-stream") {
		a.Type = ext
	}
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if a.ID, err = tx.Next(seqAttachment); err != nil {
			return err
		}
		if err := tx.Set(keyBlob+u(a.ID), data); err != nil {
			return err
		}
		if err := tx.Set(uploadKey(a), nil); err != nil {
			return err
		}
		return kv.Put(tx, keyAttachment+u(a.ID), a)
	})
	return a, err
}

func uploadKey(a Attachment) string {
	return keyUpload + fmt.Sprintf("%020d", a.Expires.Unix()) + "/" + u(a.ID)
}

// bind attaches the caller's temporary uploads to a request (event -1) or
// a comment, inside the writer's transaction.
func bind(tx *kv.Tx, who access.Caller, client string, ids []uint64, req uint64, event int, internal bool) error {
	if len(ids) > 20 {
		return fault.InvalidFields(map[string]string{"attachments": "Attach at most 20 files at once."})
	}
	for _, id := range ids {
		a, err := kv.Get[Attachment](tx, keyAttachment+u(id))
		mine := err == nil && a.Request == 0 && a.Owner == who.AccountID && (a.Owner != 0 || a.Client == client)
		if errors.Is(err, kv.ErrNotFound) || err == nil && !mine {
			return fault.InvalidFields(map[string]string{"attachments": "One of the files is no longer there: attach it again."})
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(uploadKey(a)); err != nil {
			return err
		}
		a.Request, a.Event, a.Internal, a.Expires, a.Client = req, event, internal, time.Time{}, ""
		if err := kv.Put(tx, keyAttachment+u(id), a); err != nil {
			return err
		}
	}
	return nil
}

// File returns an attachment to a caller who may see it: its request, and
// for an internal note's file, staff of the project. A temporary upload
// only to its uploader.
func (s *Service) File(ctx context.Context, who access.Caller, id uint64) (Attachment, []byte, error) {
	var a Attachment
	var data []byte
	notFound := fault.NotFoundf("There is no such file, or you may not see it.")
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) {
		a, err = kv.Get[Attachment](tx, keyAttachment+u(id))
		if errors.Is(err, kv.ErrNotFound) {
			return notFound
		}
		if err != nil {
			return err
		}
		if a.Request == 0 {
			if who.Anonymous() || a.Owner != who.AccountID {
				return notFound
			}
		} else {
			sn, err := s.see(tx, who, u(a.Request))
			if err != nil {
				if fault.KindOf(err) == fault.NotFound {
					return notFound
				}
				return err
			}
			if a.Internal && !sn.inv.Staff() {
				return notFound
			}
		}
		data, err = tx.Get(keyBlob + u(id))
		return err
	})
	return a, data, err
}

// DropExpiredUploads removes temporary uploads nobody bound in time.
func (s *Service) DropExpiredUploads(ctx context.Context) (int, error) {
	cutoff := fmt.Sprintf("%020d", s.now().Unix())
	var ids []uint64
	var keys []string
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return tx.Scan(keyUpload, func(k string, _ func() ([]byte, error)) error {
			rest := strings.TrimPrefix(k, keyUpload)
			i := strings.IndexByte(rest, '/')
			if i < 0 || rest[:i] > cutoff || len(ids) >= 1000 {
				return kv.ErrStop
			}
			var id uint64
			fmt.Sscan(rest[i+1:], &id)
			ids, keys = append(ids, id), append(keys, k)
			return nil
		})
	})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	err = s.db.Update(ctx, func(tx *kv.Tx) error {
		for i, id := range ids {
			a, err := kv.Get[Attachment](tx, keyAttachment+u(id))
			if err == nil && a.Request != 0 {
				continue
			}
			for _, k := range []string{keys[i], keyAttachment + u(id), keyBlob + u(id)} {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return len(ids), err
}

// AttachmentOf is a stored attachment as the API lists it.
func AttachmentOf(a Attachment) AttachmentView { return attachmentView(a) }

// raisesSomewhere reports whether the caller may raise a request (or comment
// on one) in at least one portal: who may upload.
func (s *Service) raisesSomewhere(ctx context.Context, who access.Caller) bool {
	if access.WorkConsole(who).Allow() {
		return true
	}
	site, err := s.hc.Site(ctx)
	if err != nil {
		return false
	}
	ps, err := s.hc.UsableProjects(ctx, site, who)
	return err == nil && len(ps) > 0
}

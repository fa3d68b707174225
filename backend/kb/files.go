package kb

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"strings"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/kv"
	"portico/backend/request"
)

// File is an image or document stored with an article for its body to
// link to.
type File struct {
	ID      uint64 `json:"id,string"`
	Article uint64 `json:"article,string"`
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	Type    string `json:"type"`
}

// FileView is a stored file with where it is served and Markdown to paste.
type FileView struct {
	File
	URL      string `json:"url"`
	Markdown string `json:"markdown"`
}

// inlineTypes are the images a page may show from our origin; anything
// else (SVG included: it can carry script) is sent as a download.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// Inline reports whether f may be shown in a page rather than downloaded.
func (f File) Inline() bool { return inlineTypes[f.Type] }

func fileView(f File) FileView {
	v := FileView{File: f, URL: "/api/kb/files/" + u(f.ID)}
	alt := strings.NewReplacer("[", "", "]", "", "\n", " ").Replace(f.Name)
	if f.Inline() {
		v.Markdown = fmt.Sprintf("![%s](%s)", alt, v.URL)
	} else {
		v.Markdown = fmt.Sprintf("[%s](%s)", alt, v.URL)
	}
	return v
}

// Upload stores a file with article id, for its editors.
func (s *Service) Upload(ctx context.Context, who access.Caller, id uint64, name string, data []byte) (FileView, error) {
	if int64(len(data)) > s.MaxFile {
		return FileView{}, fault.New(fault.TooLarge, fmt.Sprintf("This file is larger than %d MB.", s.MaxFile>>20), "Use a smaller image, or link to the file.")
	}
	if len(data) == 0 {
		return FileView{}, fault.Invalidf("The file is empty.")
	}
	f := File{Article: id, Name: request.CleanName(name), Size: int64(len(data)), Type: http.DetectContentType(data)}
	if ext := mime.TypeByExtension(strings.ToLower(filepath.Ext(f.Name))); ext != "" && strings.HasPrefix(f.Type, "application/octet-stream") {
		f.Type = ext
	}
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if _, err := s.editable(tx, who, id); err != nil {
			return err
		}
		n, err := countKeys(tx, keyArticleFile+u(id)+"/")
		if err != nil {
			return err
		}
		if n >= 200 {
			return fault.Invalidf("An article holds at most 200 files.")
		}
		if f.ID, err = tx.Next(seqFile); err != nil {
			return err
		}
		if err := tx.Set(keyBlob+u(f.ID), data); err != nil {
			return err
		}
		if err := tx.Set(keyArticleFile+u(id)+"/"+u(f.ID), nil); err != nil {
			return err
		}
		return kv.Put(tx, keyFile+u(f.ID), f)
	})
	return fileView(f), err
}

// GetFile returns a file to a caller who may read its article.
func (s *Service) GetFile(ctx context.Context, who access.Caller, id uint64) (File, []byte, error) {
	var f File
	var data []byte
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) {
		f, err = kv.Get[File](tx, keyFile+u(id))
		if errors.Is(err, kv.ErrNotFound) {
			return refused(who)
		}
		if err != nil {
			return err
		}
		if _, err := see(tx, who, f.Article); err != nil {
			return err
		}
		data, err = tx.Get(keyBlob + u(id))
		return err
	})
	return f, data, err
}

// filesOf lists an article's files (export).
func filesOf(tx *kv.Tx, article uint64) ([]File, error) {
	var out []File
	err := kv.ScanIDs(tx, keyArticleFile+u(article)+"/", func(id uint64) error {
		f, err := kv.Get[File](tx, keyFile+u(id))
		if err == nil {
			out = append(out, f)
		}
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		return err
	})
	return out, err
}

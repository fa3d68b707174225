package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/kb"
)

// Knowledge base: the portal's search, suggestions, deflection and
// articles; the console's spaces, categories, editor and analytics.

func (s *Server) kbRoutes(api *http.ServeMux) {
	k := s.b.KB
	api.HandleFunc("GET /api/kb/search", s.handle(200, s.getKBSearch))
	api.HandleFunc("GET /api/kb/suggest", s.handle(200, s.getKBSuggest))
	api.HandleFunc("GET /api/portals/{id}/kb", s.handle(200, onID(k.PortalArticles)))
	api.HandleFunc("GET /api/portals/{id}/kb/deflect", s.handle(200, s.getDeflect))
	api.HandleFunc("POST /api/portals/{id}/kb/deflections", s.handle(204, func(r *http.Request, who access.Caller) (any, error) {
		_, err := onIDWith(k.Solved)(r, who)
		return nil, err
	}))
	api.HandleFunc("GET /api/kb/articles/{id}", s.handle(200, onID(k.Article)))
	api.HandleFunc("PATCH /api/kb/articles/{id}", s.handle(200, onIDWith(k.UpdateArticle)))
	api.HandleFunc("DELETE /api/kb/articles/{id}", s.handle(204, deleteID(k.DeleteArticle)))
	api.HandleFunc("POST /api/kb/articles/{id}/feedback", s.handle(200, s.postFeedback))
	api.HandleFunc("GET /api/kb/articles/{id}/revisions", s.handle(200, onID(k.Revisions)))
	api.HandleFunc("GET /api/kb/articles/{id}/revisions/{n}", s.handle(200, s.getRevision))
	api.HandleFunc("POST /api/kb/articles/{id}/revisions/{n}/restore", s.handle(200, s.postRestore))
	api.HandleFunc("POST /api/kb/articles/{id}/files", s.handle(201, s.postKBFile))
	api.HandleFunc("GET /api/kb/files/{id}", s.getKBFile)
	api.HandleFunc("POST /api/kb/preview", s.handle(200, s.postPreview))
	api.HandleFunc("GET /api/kb/analytics", s.handle(200, s.getAnalytics))
	api.HandleFunc("PATCH /api/kb/categories/{id}", s.handle(200, onIDWith(k.UpdateCategory)))
	api.HandleFunc("DELETE /api/kb/categories/{id}", s.handle(204, deleteID(k.DeleteCategory)))

	api.HandleFunc("GET /api/projects/{id}/kb", s.handle(200, onID(k.Space)))
	api.HandleFunc("PATCH /api/projects/{id}/kb", s.handle(200, onIDWith(k.UpdateSpace)))
	api.HandleFunc("POST /api/projects/{id}/kb/categories", s.handle(201, onIDWith(k.CreateCategory)))
	api.HandleFunc("POST /api/projects/{id}/kb/articles", s.handle(201, onIDWith(k.CreateArticle)))
	api.HandleFunc("POST /api/projects/{id}/kb/import", s.handle(200, onIDWith(k.Import)))
	api.HandleFunc("GET /api/projects/{id}/kb/export", s.getExport)

	api.HandleFunc("POST /api/requests/{ref}/article", s.handle(201, onRef(k.FromRequest)))
	api.HandleFunc("GET /api/requests/{ref}/articles", s.handle(200, s.getArticlesForReply))
}

// optionalID reads an optional id parameter; a malformed one is a 400.
func optionalID(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == 0 {
		return 0, fault.InvalidFields(map[string]string{name: "Not an id."})
	}
	return id, nil
}

func (s *Server) getKBSearch(r *http.Request, who access.Caller) (any, error) {
	portal, err := optionalID(r, "portal")
	if err != nil {
		return nil, err
	}
	start, limit, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	drafts := q.Get("drafts") == "1" || q.Get("drafts") == "true"
	// Staff searching their own knowledge base are not customers looking
	// for help: their queries stay out of the analytics.
	return s.b.KB.Search(r.Context(), who, q.Get("q"), kb.SearchOptions{Portal: portal, Start: start, Limit: limit,
		Drafts: drafts, NoLog: drafts || who.Role == access.Admin || who.Role == access.Agent})
}

func (s *Server) getKBSuggest(r *http.Request, who access.Caller) (any, error) {
	portal, err := optionalID(r, "portal")
	if err != nil {
		return nil, err
	}
	return s.b.KB.Suggest(r.Context(), who, r.URL.Query().Get("q"), portal)
}

func (s *Server) getDeflect(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, access.ErrNoPortal
	}
	return s.b.KB.Deflect(r.Context(), who, id, r.URL.Query().Get("q"))
}

func (s *Server) postFeedback(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	in, err := body[kb.FeedbackInput](r)
	if err != nil {
		return nil, err
	}
	if who.Anonymous() {
		if err := s.b.Identity.Throttle("kb-vote", callerOf(r).client); err != nil {
			return nil, err
		}
	}
	return s.b.KB.Feedback(r.Context(), who, callerOf(r).client, id, in)
}

func revisionParams(r *http.Request) (uint64, int, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return 0, 0, fault.NotFoundf("There is no such revision.")
	}
	return id, n, nil
}

func (s *Server) getRevision(r *http.Request, who access.Caller) (any, error) {
	id, n, err := revisionParams(r)
	if err != nil {
		return nil, err
	}
	return s.b.KB.Revision(r.Context(), who, id, n)
}

func (s *Server) postRestore(r *http.Request, who access.Caller) (any, error) {
	id, n, err := revisionParams(r)
	if err != nil {
		return nil, err
	}
	return s.b.KB.Restore(r.Context(), who, id, n)
}

func (s *Server) postKBFile(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fault.New(fault.TooLarge, fmt.Sprintf("This file is larger than %d MB.", s.b.KB.MaxFile>>20), "Use a smaller image, or link to the file.")
	}
	if err != nil {
		return nil, err
	}
	return s.b.KB.Upload(r.Context(), who, id, r.URL.Query().Get("name"), data)
}

// getKBFile shows an article's raster images in the page and sends every
// other file as a download, sandboxed either way.
func (s *Server) getKBFile(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.callerAndID(w, r)
	if !ok {
		return
	}
	f, data, err := s.b.KB.GetFile(r.Context(), who, id)
	if err != nil {
		fail(w, r, err)
		return
	}
	disposition := "attachment"
	if f.Inline() {
		disposition = "inline"
	}
	sendBytes(w, f.Type, disposition, f.Name, "private, max-age=300", data)
}

func (s *Server) postPreview(r *http.Request, who access.Caller) (any, error) {
	if err := access.WorkConsole(who).Err(); err != nil {
		return nil, err
	}
	in, err := body[struct {
		Body string `json:"body"`
	}](r)
	if err != nil {
		return nil, err
	}
	return map[string]string{"html": kb.Render(in.Body)}, nil
}

func (s *Server) getAnalytics(r *http.Request, who access.Caller) (any, error) {
	project, err := optionalID(r, "project")
	if err != nil {
		return nil, err
	}
	return s.b.KB.Analytics(r.Context(), who, project)
}

// getExport sends a space as a zip. It is built in memory first, so a
// failure is an error status rather than a cut-off download.
func (s *Server) getExport(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.callerAndID(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := s.b.KB.Export(r.Context(), who, id, &buf); err != nil {
		fail(w, r, err)
		return
	}
	p, err := s.b.HelpCenter.Project(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	sendBytes(w, "application/zip", "attachment", p.Key+"-knowledge-base.zip", "private, no-store", buf.Bytes())
}

func (s *Server) getArticlesForReply(r *http.Request, who access.Caller) (any, error) {
	return s.b.KB.ForReply(r.Context(), who, r.PathValue("ref"), r.URL.Query().Get("q"))
}

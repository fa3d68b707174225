package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/kb"
	"portico/backend/request"
)

// Requests: the portal's and the console's, one domain call each.

func (s *Server) requestRoutes(api *http.ServeMux) {
	rq := s.b.Requests
	api.HandleFunc("GET /api/portals/{id}/request-types", s.handle(200, s.getPortalTypes))
	api.HandleFunc("GET /api/portals/{id}/request-types/{type}", s.handle(200, s.getRaiseForm))
	api.HandleFunc("POST /api/portals/{id}/requests", s.postRequest)
	api.HandleFunc("GET /api/portals/{id}/similar", s.handle(200, s.getSimilar))
	api.HandleFunc("POST /api/uploads", s.handle(201, s.postUpload))
	api.HandleFunc("GET /api/attachments/{id}", s.getAttachment)

	api.HandleFunc("GET /api/requests", s.handle(200, s.getRequests))
	api.HandleFunc("GET /api/requests/{ref}", s.handle(200, onRef(rq.Get)))
	api.HandleFunc("PATCH /api/requests/{ref}", s.handle(200, s.patchRequest))
	api.HandleFunc("POST /api/requests/{ref}/comments", s.handle(201, onRefWith(rq.Comment)))
	api.HandleFunc("POST /api/requests/{ref}/transitions", s.handle(200, onRefBody(rq.Transition)))
	api.HandleFunc("POST /api/requests/{ref}/participants", s.handle(200, onRefWith(rq.Share)))
	api.HandleFunc("DELETE /api/requests/{ref}/participants/{account}", s.handle(200, s.deleteParticipant))
	api.HandleFunc("DELETE /api/requests/{ref}/organizations/{org}", s.handle(200, s.deleteRequestOrg))
	api.HandleFunc("GET /api/requests/{ref}/share-candidates", s.handle(200, s.getShareCandidates))
	api.HandleFunc("POST /api/requests/{ref}/join", s.handle(200, onRef(rq.Join)))
	api.HandleFunc("PUT /api/requests/{ref}/notifications", s.handle(200, s.putNotifications))
	api.HandleFunc("POST /api/requests/{ref}/assign", s.handle(200, s.postAssign))

	api.HandleFunc("GET /api/projects/{id}/queues", s.handle(200, s.getQueues))
	api.HandleFunc("GET /api/projects/{id}/requests", s.handle(200, s.getQueue))
	api.HandleFunc("GET /api/projects/{id}/agents", s.handle(200, s.getAgents))
	api.HandleFunc("GET /api/projects/{id}/request-types", s.handle(200, onID(rq.ProjectTypes)))
	api.HandleFunc("POST /api/projects/{id}/request-types", s.handle(201, onIDWith(rq.CreateType)))
	api.HandleFunc("PATCH /api/request-types/{id}", s.handle(200, onIDWith(rq.UpdateType)))
	api.HandleFunc("DELETE /api/request-types/{id}", s.handle(204, deleteID(rq.DeleteType)))
	api.HandleFunc("POST /api/projects/{id}/groups", s.handle(201, onIDWith(rq.CreateGroup)))
	api.HandleFunc("PATCH /api/groups/{id}", s.handle(200, onIDWith(rq.UpdateGroup)))
	api.HandleFunc("DELETE /api/groups/{id}", s.handle(204, deleteID(rq.DeleteGroup)))
	api.HandleFunc("GET /api/projects/{id}/workflow", s.handle(200, onID(rq.Workflow)))
	api.HandleFunc("PUT /api/projects/{id}/workflow", s.handle(200, onIDWith(rq.SetWorkflow)))
	api.HandleFunc("GET /api/reindex", s.handle(200, s.getReindex))
	api.HandleFunc("POST /api/reindex", s.handle(202, s.postReindex))
}

// Adapters for the common shapes: a domain call on the path's {id} or
// {ref}, with or without a JSON body.

func onID[T any](fn func(context.Context, access.Caller, uint64) (T, error)) func(*http.Request, access.Caller) (any, error) {
	return func(r *http.Request, who access.Caller) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return fn(r.Context(), who, id)
	}
}

func onIDWith[In, T any](fn func(context.Context, access.Caller, uint64, In) (T, error)) func(*http.Request, access.Caller) (any, error) {
	return func(r *http.Request, who access.Caller) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		in, err := body[In](r)
		if err != nil {
			return nil, err
		}
		return fn(r.Context(), who, id, in)
	}
}

func deleteID(fn func(context.Context, access.Caller, uint64) error) func(*http.Request, access.Caller) (any, error) {
	return func(r *http.Request, who access.Caller) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return nil, fn(r.Context(), who, id)
	}
}

func onRef[T any](fn func(context.Context, access.Caller, string) (T, error)) func(*http.Request, access.Caller) (any, error) {
	return func(r *http.Request, who access.Caller) (any, error) {
		return fn(r.Context(), who, r.PathValue("ref"))
	}
}

func onRefBody[In, T any](fn func(context.Context, access.Caller, string, In) (T, error)) func(*http.Request, access.Caller) (any, error) {
	return func(r *http.Request, who access.Caller) (any, error) {
		in, err := body[In](r)
		if err != nil {
			return nil, err
		}
		return fn(r.Context(), who, r.PathValue("ref"), in)
	}
}

// onRefWith also passes the client's address (rate limits, uploads).
func onRefWith[In, T any](fn func(context.Context, access.Caller, string, string, In) (T, error)) func(*http.Request, access.Caller) (any, error) {
	return func(r *http.Request, who access.Caller) (any, error) {
		in, err := body[In](r)
		if err != nil {
			return nil, err
		}
		return fn(r.Context(), who, callerOf(r).client, r.PathValue("ref"), in)
	}
}

func (s *Server) getPortalTypes(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, access.ErrNoPortal
	}
	return s.b.Requests.PortalTypes(r.Context(), who, id)
}

func (s *Server) getRaiseForm(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, access.ErrNoPortal
	}
	t, err := pathID(r, "type")
	if err != nil {
		return nil, err
	}
	return s.b.Requests.Form(r.Context(), who, id, t)
}

// postRequest answers 201 with the request, or 202 with a message for an
// anonymous raiser, who may not see it yet.
func (s *Server) postRequest(w http.ResponseWriter, r *http.Request) {
	who, err := s.who(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, access.ErrNoPortal)
		return
	}
	in, err := body[request.RaiseInput](r)
	if err != nil {
		fail(w, r, err)
		return
	}
	out, err := s.b.Requests.Raise(r.Context(), who, callerOf(r).client, id, in)
	if err != nil {
		fail(w, r, err)
		return
	}
	// Deflection's denominator: a request the knowledge base did not prevent.
	s.b.KB.Raised(id)
	if out.Request == nil {
		writeJSON(w, http.StatusAccepted, messageOut{out.Message})
		return
	}
	writeJSON(w, http.StatusCreated, out.Request)
}

func (s *Server) getSimilar(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, access.ErrNoPortal
	}
	rows, err := s.b.Requests.Similar(r.Context(), who, id, r.URL.Query().Get("q"))
	return map[string]any{"requests": rows}, err
}

func (s *Server) postUpload(r *http.Request, who access.Caller) (any, error) {
	data, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fault.New(fault.TooLarge, fmt.Sprintf("This file is larger than %d MB.", s.b.Requests.MaxUpload>>20), "Attach a smaller file, or share a link to it.")
	}
	if err != nil {
		return nil, err
	}
	a, err := s.b.Requests.Upload(r.Context(), who, callerOf(r).client, r.URL.Query().Get("name"), data)
	if err != nil {
		return nil, err
	}
	return request.AttachmentOf(a), nil
}

// getAttachment sends a file as a download, never rendered by the browser
// as a page: its own origin could otherwise run what a customer uploaded.
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.callerAndID(w, r)
	if !ok {
		return
	}
	a, data, err := s.b.Requests.File(r.Context(), who, id)
	if err != nil {
		fail(w, r, err)
		return
	}
	sendBytes(w, a.Type, "attachment", a.Name, "private, no-store", data)
}

// callerAndID reads the caller and the path's {id} for handlers that
// write their own response; false means the refusal was sent.
func (s *Server) callerAndID(w http.ResponseWriter, r *http.Request) (access.Caller, uint64, bool) {
	who, err := s.who(r)
	if err == nil {
		var id uint64
		if id, err = pathID(r, "id"); err == nil {
			return who, id, true
		}
	}
	fail(w, r, err)
	return who, 0, false
}

// sendBytes sends stored bytes sandboxed: whatever a file holds, the
// browser never runs it as a page of this origin.
func sendBytes(w http.ResponseWriter, ctype, disposition, name, cache string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	h.Set("Cache-Control", cache)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fault.InvalidFields(map[string]string{name: "Use a whole number, 0 or more."})
	}
	return n, nil
}

// pageParams reads start and limit.
func pageParams(r *http.Request) (start, limit int, err error) {
	if start, err = queryInt(r, "start"); err != nil {
		return 0, 0, err
	}
	limit, err = queryInt(r, "limit")
	return start, limit, err
}

func queryID(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fault.InvalidFields(map[string]string{name: "Use an id."})
	}
	return n, nil
}

func (s *Server) getRequests(r *http.Request, who access.Caller) (any, error) {
	q := r.URL.Query()
	in := request.ListQuery{Ownership: q.Get("ownership"), Status: q.Get("status"), Q: q.Get("q")}
	var err error
	for _, p := range []struct {
		name string
		dst  *uint64
	}{{"organization", &in.Org}, {"portal", &in.Portal}, {"type", &in.Type}} {
		if *p.dst, err = queryID(r, p.name); err != nil {
			return nil, err
		}
	}
	if in.Start, in.Limit, err = pageParams(r); err != nil {
		return nil, err
	}
	return s.b.Requests.List(r.Context(), who, in)
}

func (s *Server) patchRequest(r *http.Request, who access.Caller) (any, error) {
	in, err := body[struct {
		TypeID request.ID `json:"typeId"`
	}](r)
	if err != nil {
		return nil, err
	}
	return s.b.Requests.ChangeType(r.Context(), who, r.PathValue("ref"), uint64(in.TypeID))
}

func (s *Server) deleteParticipant(r *http.Request, who access.Caller) (any, error) {
	account, err := pathID(r, "account")
	if err != nil {
		return nil, err
	}
	ref := r.PathValue("ref")
	still, err := s.b.Requests.RemoveParticipant(r.Context(), who, ref, account)
	if err != nil || !still {
		return nil, err
	}
	return s.b.Requests.Get(r.Context(), who, ref)
}

func (s *Server) deleteRequestOrg(r *http.Request, who access.Caller) (any, error) {
	org, err := pathID(r, "org")
	if err != nil {
		return nil, err
	}
	ref := r.PathValue("ref")
	if err := s.b.Requests.RemoveOrg(r.Context(), who, ref, org); err != nil {
		return nil, err
	}
	v, err := s.b.Requests.Get(r.Context(), who, ref)
	if fault.KindOf(err) == fault.NotFound {
		return nil, nil // the caller saw it through that organization only
	}
	return v, err
}

func (s *Server) getShareCandidates(r *http.Request, who access.Caller) (any, error) {
	people, orgs, err := s.b.Requests.ShareCandidates(r.Context(), who, r.PathValue("ref"), r.URL.Query().Get("q"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"people": people, "organizations": orgs}, nil
}

func (s *Server) putNotifications(r *http.Request, who access.Caller) (any, error) {
	in, err := body[struct {
		On *bool `json:"on"`
	}](r)
	if err != nil {
		return nil, err
	}
	if in.On == nil {
		return nil, fault.InvalidFields(map[string]string{"on": "Say true or false."})
	}
	on, err := s.b.Requests.SetNotifications(r.Context(), who, r.PathValue("ref"), *in.On)
	return map[string]bool{"notifications": on}, err
}

func (s *Server) postAssign(r *http.Request, who access.Caller) (any, error) {
	in, err := body[struct {
		Account request.ID `json:"accountId"`
	}](r)
	if err != nil {
		return nil, err
	}
	return s.b.Requests.Assign(r.Context(), who, r.PathValue("ref"), uint64(in.Account))
}

func (s *Server) getQueues(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	qs, err := s.b.Requests.Queues(r.Context(), who, id)
	return map[string]any{"queues": qs}, err
}

func (s *Server) getQueue(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	in := request.QueueQuery{Queue: q.Get("queue"), Q: q.Get("q"), Sort: q.Get("sort")}
	if in.Start, in.Limit, err = pageParams(r); err != nil {
		return nil, err
	}
	return s.b.Requests.QueueRequests(r.Context(), who, id, in)
}

func (s *Server) getAgents(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	a, err := s.b.Requests.Agents(r.Context(), who, id)
	return map[string]any{"agents": a}, err
}

func (s *Server) getReindex(r *http.Request, who access.Caller) (any, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return nil, err
	}
	return map[string]any{"indexes": s.b.Index.Status()}, nil
}

func (s *Server) postReindex(r *http.Request, who access.Caller) (any, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return nil, err
	}
	names := []string{request.IndexName, kb.IndexName}
	if n := r.URL.Query().Get("index"); n != "" {
		if n != request.IndexName && n != kb.IndexName {
			return nil, fault.InvalidFields(map[string]string{"index": "Rebuild " + request.IndexName + " or " + kb.IndexName + "."})
		}
		names = []string{n}
	}
	for _, n := range names {
		if err := s.b.Index.Reindex(n); err != nil {
			return nil, err
		}
	}
	return map[string]any{"indexes": s.b.Index.Status()}, nil
}

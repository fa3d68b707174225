package server

import (
	"context"
	"net"
	"net/http"

	"portico/backend/access"
	"portico/backend/identity"
)

// Door says how a request reached Portico.
type Door string

const (
	DoorWindow Door = "window" // in-process, from the desktop window
	DoorLAN    Door = "lan"    // over the network listener
)

// caller is who is asking. Only this package's middleware creates it, under
// an unexported context key, so nothing arriving over the network can claim
// the window's identity.
type caller struct {
	door    Door
	account *identity.Account // nil: not logged in
	token   string            // the LAN session token, for logout
	byToken bool              // authenticated by an API token, not a session
	client  string            // rate-limit key: remote IP, or "window"

	facts     access.Caller // what access decisions know; loaded once per request
	factsDone bool
}

type callerKey struct{}

func withDoor(r *http.Request, d Door) *http.Request {
	c := &caller{door: d, client: string(DoorWindow)}
	if d == DoorLAN {
		c.client = remoteIP(r)
	}
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
}

func callerOf(r *http.Request) *caller {
	if c, ok := r.Context().Value(callerKey{}).(*caller); ok {
		return c
	}
	// A request that skipped the door middleware is treated as an
	// anonymous network caller: never more trusted than that.
	return &caller{door: DoorLAN, client: remoteIP(r)}
}

// who returns the access facts about the caller, loading them on first use.
func (s *Server) who(r *http.Request) (access.Caller, error) {
	c := callerOf(r)
	if !c.factsDone {
		f, err := s.b.Facts(r.Context(), c.account)
		if err != nil {
			return access.Caller{}, err
		}
		c.facts, c.factsDone = f, true
	}
	return c.facts, nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

package access

import "portico/backend/fault"

// Sharing is a project's "Customer sharing" setting.
type Sharing string

const (
	ShareOrganization Sharing = "organization" // "Other customers in their organization"
	ShareEmail        Sharing = "email"        // "Any customer, by typing an email address"
	ShareSearch       Sharing = "search"       // "Any customer or organization, by searching in this project"
)

// Request is what access needs to know about a request.
type Request struct {
	Project      uint64
	Reporter     uint64
	Participants []uint64
	// Orgs are the organizations the request is shared with: being in an
	// organization is not enough, it must be on the request.
	Orgs []uint64
}

// Involvement says how the caller relates to a request, strongest first.
type Involvement string

const (
	AsAdmin        Involvement = "admin"
	AsAgent        Involvement = "agent"
	AsReporter     Involvement = "reporter"
	AsParticipant  Involvement = "participant"
	AsOrganization Involvement = "organization"
	NotInvolved    Involvement = ""
)

// Staff reports whether the involvement is an agent's or an admin's.
func (i Involvement) Staff() bool { return i == AsAdmin || i == AsAgent }

// Involved returns how c relates to r, ignoring portal access.
func Involved(c Caller, r Request) Involvement {
	switch {
	case c.Anonymous() || !c.Active:
		return NotInvolved
	case c.Role == Admin:
		return AsAdmin
	case c.Role == Agent && c.AgentOf[r.Project]:
		return AsAgent
	case r.Reporter == c.AccountID:
		return AsReporter
	}
	for _, p := range r.Participants {
		if p == c.AccountID {
			return AsParticipant
		}
	}
	for _, o := range r.Orgs {
		if c.Orgs[o] {
			return AsOrganization
		}
	}
	return NotInvolved
}

const (
	noRequest     = "No Access. You do not have permission to view this request."
	noRequestHint = "Check the link, or ask the person who shared it with you."
)

// ErrNoRequest answers for a request the caller may not see and for one
// that does not exist, alike, so ids and keys reveal nothing.
var ErrNoRequest = fault.New(fault.NotFound, noRequest, noRequestHint)

// SeeRequest: may the caller see request r of portal p (and comment on it,
// use its portal transitions, and share it within the sharing setting)?
// Staff of the project always may; anyone else must be involved — reporter,
// participant, or member of an organization on the request — and still be
// able to use the portal, so removing a customer from a restricted project
// ends their access to its requests unless another route grants it.
func SeeRequest(s Site, p Portal, c Caller, r Request) Decision {
	if c.Anonymous() {
		return refuse(LoginRequired, "login_required", "Log in to see your requests.", "Requests are never public: log in, or set your password from the email we sent.")
	}
	if !c.Active {
		return deactivated(c)
	}
	inv := Involved(c, r)
	if inv.Staff() {
		return allow(string(inv), "Staff of the project see all its requests.", c.who())
	}
	if inv == NotInvolved {
		return refuse(Denied, "not_involved", noRequest, noRequestHint, c.who(),
			"They did not raise it, are not a participant, and are in no organization it is shared with.")
	}
	if !PortalAllowed(s, p, c) {
		d := SeePortal(s, p, c)
		return refuse(Denied, "portal_"+d.Code, noRequest, noRequestHint, append(d.Facts,
			"They are the request's "+string(inv)+", but may no longer use its portal.")...)
	}
	return allow(string(inv), "The "+string(inv)+" of a request sees it.", c.who())
}

// Err for a request refusal: log in (401) when anonymous, else "no access"
// (404), which reads the same as an unknown request.
func RequestErr(d Decision) error {
	switch d.Outcome {
	case Allowed:
		return nil
	case LoginRequired:
		return d.Err()
	}
	return ErrNoRequest
}

// WorkProject: may the caller work project's requests (queues, internal
// notes, any transition, assignment)? Its agents and admins.
func WorkProject(c Caller, project uint64) Decision {
	if d, ok := unknownOrOff(c); !ok {
		return d
	}
	switch {
	case c.Role == Admin:
		return allow("admin", "Administrators work every project's requests.", c.who())
	case c.Role == Agent && c.AgentOf[project]:
		return allow("agent", "Agents work the requests of their projects.", c.who())
	case c.Role == Agent:
		return refuse(Denied, "not_your_project", "You are not an agent of this project.", remedyAdmin, c.who())
	}
	return refuse(Denied, "staff_only", "This is for agents and admins only.", remedyAdmin, c.who())
}

// Audience narrows who sees a request type; empty means everyone who may
// use the portal.
type Audience struct {
	Orgs    []uint64
	Domains []string
}

// Empty reports whether the audience is everyone.
func (a Audience) Empty() bool { return len(a.Orgs) == 0 && len(a.Domains) == 0 }

// UseRequestType: may the caller see and use a request type with audience
// a in project? Staff of the project always may (they raise on behalf of
// anyone); an anonymous visitor only an everyone type.
func UseRequestType(c Caller, project uint64, a Audience) bool {
	if a.Empty() || WorkProject(c, project).Allow() {
		return true
	}
	if c.Anonymous() {
		return false
	}
	for _, o := range a.Orgs {
		if c.Orgs[o] {
			return true
		}
	}
	for _, d := range a.Domains {
		if d == c.Domain && d != "" {
			return true
		}
	}
	return false
}

// ShareTarget describes whom the caller wants to share a request with.
type ShareTarget struct {
	// Org is set when sharing with a whole organization (attached to the
	// project: others are refused before asking).
	Org uint64
	// SameOrg: the organization is one of the caller's, or the person is in
	// one of the caller's organizations.
	SameOrg bool
	// Exists: the person has an account (false: an unknown email).
	Exists bool
	// SeesPortal: the person may use the portal already.
	SeesPortal bool
}

// Share: may the caller add t to a request they may see, under the
// project's sharing setting? JSM.md §2.5's sharing matrix. Staff may add
// any customer and any organization of the project; a new email makes an
// account only where the portal is open and the site lets accounts be
// made (staff: always, as agents add customers).
func Share(s Site, p Portal, mode Sharing, c Caller, t ShareTarget) Decision {
	if WorkProject(c, p.ID).Allow() {
		return allow("staff", "Agents and admins may share with any customer or organization of the project.", c.who())
	}
	const remedy = "Ask an agent to add them."
	if t.Org != 0 {
		switch {
		case t.SameOrg:
			return allow("own_org", "Customers may share with their own organizations.")
		case mode == ShareSearch:
			return allow("search", "This project lets customers share with any of its organizations.")
		}
		return refuse(Denied, "other_org", "You can share only with your own organizations here.", remedy)
	}
	switch {
	case t.Exists && t.SameOrg && t.SeesPortal:
		return allow("org_member", "Customers may share with people in their organizations.")
	case mode == ShareOrganization:
		return refuse(Denied, "org_only", "You can share only with people in your organizations here.", remedy)
	case t.Exists && t.SeesPortal:
		return allow("customer", "This project lets customers share with any of its customers.")
	case !t.Exists && p.Channel == Open && s.Signup:
		return allow("new_customer", "An account is made for them; they set a password from the email they get.")
	}
	// The same words whether or not the email has an account.
	return refuse(Denied, "not_customer", "They are not a customer of this portal.", remedy)
}

// RemoveParticipant: staff and the reporter may remove anyone; anyone may
// remove themself.
func RemoveParticipant(c Caller, r Request, target uint64) bool {
	inv := Involved(c, r)
	return inv.Staff() || inv == AsReporter || (target == c.AccountID && !c.Anonymous())
}

// RemoveOrg: staff and the reporter may take an organization off a request.
func RemoveOrg(c Caller, r Request) bool {
	inv := Involved(c, r)
	return inv.Staff() || inv == AsReporter
}

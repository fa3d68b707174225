// Package access decides who may reach what: the help center, each portal,
// raising requests in it, and the admin work around them. It is pure — no
// I/O, no clock — so every door (window, LAN, API) asks the same function
// and every decision can be tested exhaustively. Callers gather the facts
// (settings, who the person is, how they are a customer) and hand them in.
package access

import (
	"fmt"

	"portico/backend/fault"
)

// Site is the help center's "Customer access" setting.
type Site struct {
	// Signup: "Allow customers to create accounts" (else "Don't allow
	// customers to create their own accounts").
	Signup bool `json:"signup"`
	// Anonymous: "Customers can access and send requests from the portal
	// without logging in". Only meaningful with Signup.
	Anonymous bool `json:"anonymous"`
}

// AnonymousAllowed reports the effective anonymous setting: it needs signup.
func (s Site) AnonymousAllowed() bool { return s.Signup && s.Anonymous }

// Channel is a portal's "Channel access".
type Channel string

const (
	// Restricted: only customers added to the project (directly, through an
	// organization attached to it, or through a domain rule).
	Restricted Channel = "restricted"
	// Open: anyone with an account; and anyone on the web where the site
	// allows access without logging in.
	Open Channel = "open"
)

// Portal is what access needs to know about a service project's portal.
type Portal struct {
	ID       uint64
	Channel  Channel
	Archived bool
}

// Role of an account.
type Role string

const (
	Admin    Role = "admin"
	Agent    Role = "agent"
	Customer Role = "customer"
)

// RouteKind says how someone is a customer of a project.
type RouteKind string

const (
	Direct       RouteKind = "direct"       // added to the project one by one
	Organization RouteKind = "organization" // member of an organization attached to the project
	DomainRule   RouteKind = "domain"       // email domain matches a rule of the project
)

// Route is one reason a person is a customer of a project. Name is the
// organization's name or the rule's domain, for explanations.
type Route struct {
	Kind RouteKind `json:"kind"`
	Name string    `json:"name,omitempty"`
}

func (r Route) String() string {
	switch r.Kind {
	case Organization:
		return fmt.Sprintf("member of organization %s, which is attached to the project", r.Name)
	case DomainRule:
		return fmt.Sprintf("email address matches the project's domain rule @%s", r.Name)
	}
	return "added to the project as a customer"
}

// Caller is who is asking, with every fact the decisions use. The zero
// Caller is an anonymous visitor.
type Caller struct {
	AccountID uint64
	Name      string
	Role      Role
	Active    bool
	// AgentOf lists the projects an agent is assigned to.
	AgentOf map[uint64]bool
	// CustomerOf lists, per project, every route that makes the caller a
	// customer of it (evaluated live: rules are not copied at signup).
	CustomerOf map[uint64][]Route
	// Orgs are the organizations the caller is in, directly or by a domain
	// rule's organization.
	Orgs map[uint64]bool
	// Domain is the caller's email domain, for request type audiences.
	Domain string
}

// Anonymous reports whether nobody is logged in.
func (c Caller) Anonymous() bool { return c.AccountID == 0 }

// Outcome classifies a decision for the server and for tests.
type Outcome string

const (
	Allowed Outcome = "allowed"
	// LoginRequired: the caller is anonymous and must log in (or sign up).
	LoginRequired Outcome = "login"
	// Denied: the caller is known and may not (403 for portals, 404 for
	// objects whose existence must not leak).
	Denied Outcome = "denied"
	// Deactivated: the account exists but was switched off.
	Deactivated Outcome = "deactivated"
	// Gone: the thing is archived or otherwise not available to this caller.
	Gone Outcome = "gone"
)

// Decision is an answer with its reason, what the person can do about it,
// and the facts that led to it (for "Explain access").
type Decision struct {
	Outcome Outcome  `json:"outcome"`
	Code    string   `json:"code"`
	Reason  string   `json:"reason"`
	Remedy  string   `json:"remedy,omitempty"`
	Facts   []string `json:"facts"`
}

// Allow reports whether the decision lets the caller in.
func (d Decision) Allow() bool { return d.Outcome == Allowed }

func allow(code, reason string, facts ...string) Decision {
	return Decision{Outcome: Allowed, Code: code, Reason: reason, Facts: facts}
}

func refuse(o Outcome, code, reason, remedy string, facts ...string) Decision {
	return Decision{Outcome: o, Code: code, Reason: reason, Remedy: remedy, Facts: facts}
}

const remedyAdmin = "Ask an administrator of this help center."

// siteFact describes the site setting in plain words.
func siteFact(s Site) string {
	switch {
	case s.AnonymousAllowed():
		return "The help center lets customers create accounts and use open portals without logging in."
	case s.Signup:
		return "The help center lets customers create their own accounts; everyone logs in."
	}
	return "The help center does not let customers create their own accounts; everyone logs in."
}

func loginRemedy(s Site) string {
	if s.Signup {
		return "Log in, or sign up for an account."
	}
	return "Log in with the account your team gave you. If you have none, ask them to add you."
}

// pre answers what is the same for every question: deactivated accounts,
// and staff identity.
func (c Caller) who() string {
	switch {
	case c.Anonymous():
		return "You are not logged in."
	case c.Name != "":
		return fmt.Sprintf("%s has an active %s account.", c.Name, c.Role)
	}
	return fmt.Sprintf("The caller has an active %s account.", c.Role)
}

func deactivated(c Caller) Decision {
	name := "This account"
	if c.Name != "" {
		name = c.Name + "'s account"
	}
	return refuse(Deactivated, "deactivated", "This account has been deactivated.", remedyAdmin,
		name+" is deactivated.")
}

// SeeHelpCenter: may the caller see the help center's home page?
func SeeHelpCenter(s Site, c Caller) Decision {
	switch {
	case c.Anonymous() && s.AnonymousAllowed():
		return allow("anonymous_site", "Anyone may look around this help center.", siteFact(s))
	case c.Anonymous():
		return refuse(LoginRequired, "login_required", "Log in to use this help center.", loginRemedy(s), siteFact(s))
	case !c.Active:
		return deactivated(c)
	}
	return allow("account", "Everyone with an account may see the help center; it lists only the portals they may use.", c.who())
}

// SeePortal: may the caller see portal p and its knowledge base?
func SeePortal(s Site, p Portal, c Caller) Decision {
	return portal(s, p, c, false)
}

// Raise: may the caller raise a request in portal p? An anonymous visitor
// allowed here must still give an email address (an account is made).
func Raise(s Site, p Portal, c Caller) Decision {
	return portal(s, p, c, true)
}

// portalCode is the whole portal rule; portal dresses its answer with
// reasons and facts. Listing many portals asks only for the code.
func portalCode(s Site, p Portal, c Caller) string {
	anon := c.Anonymous()
	switch {
	case !anon && !c.Active:
		return "deactivated"
	case !anon && c.Role == Admin:
		return "admin"
	case !anon && c.Role == Agent && c.AgentOf[p.ID]:
		return "agent"
	case p.Archived:
		return "archived"
	case anon && p.Channel == Open && s.AnonymousAllowed():
		return "anonymous_open"
	case anon:
		return "login_required"
	case len(c.CustomerOf[p.ID]) > 0:
		return "customer"
	case p.Channel == Open:
		return "open"
	}
	return "restricted"
}

// PortalAllowed is SeePortal(s, p, c).Allow() without building the
// explanation: for deciding every portal on a page.
func PortalAllowed(s Site, p Portal, c Caller) bool {
	switch portalCode(s, p, c) {
	case "admin", "agent", "anonymous_open", "customer", "open":
		return true
	}
	return false
}

func portal(s Site, p Portal, c Caller, raise bool) Decision {
	code := portalCode(s, p, c)
	site := []string{siteFact(s), channelFact(s, p.Channel)}
	switch code {
	case "deactivated":
		return deactivated(c)
	case "admin":
		if p.Archived {
			return allow(code, "Administrators reach every portal, archived ones too.", c.who())
		}
		return allow(code, "Administrators reach every portal.", c.who())
	case "archived":
		d := refuse(Gone, code, noPortal, noPortalHint, "The portal is archived.")
		return d
	case "agent":
		return allow(code, "Agents of this project always reach its portal.", c.who(), "They are an agent of this project.")
	case "anonymous_open":
		if raise {
			return allow(code, "Anyone may raise a request here; they give an email address and set a password later to follow it.", site...)
		}
		return allow(code, "Anyone on the web may use this portal.", site...)
	case "login_required":
		return refuse(LoginRequired, code, "Log in to use this portal.", loginRemedy(s), site...)
	}
	facts := append([]string{c.who()}, site...)
	switch code {
	case "customer":
		for _, r := range c.CustomerOf[p.ID] {
			facts = append(facts, "They are a customer of this project: "+r.String()+".")
		}
		return allow(code, "Customers of this project may use its portal.", facts...)
	case "open":
		reason := "This portal is open to everyone with an account."
		if raise {
			reason += " Raising a request makes them a customer of the project."
		}
		return allow(code, reason, facts...)
	}
	facts = append(facts, "They are not a customer of this project: not added directly, not in an attached organization, no matching domain rule.")
	return refuse(Denied, code, "This portal is restricted to its customers.",
		"Ask the team that runs this portal to add you as a customer.", facts...)
}

func channelFact(s Site, ch Channel) string {
	if ch == Restricted {
		return "The portal is Restricted: only customers added to the project (directly, through an organization, or by a domain rule) may use it."
	}
	if s.AnonymousAllowed() {
		return "The portal is Open, and the help center allows access without logging in: anyone on the web may use it."
	}
	if s.Signup {
		return "The portal is Open: anyone with an account may use it, and anyone may sign up for one."
	}
	return "The portal is Open: anyone who already has an account on this help center may use it."
}

// Signup: may a visitor create their own account?
func Signup(s Site) Decision {
	if s.Signup {
		return allow("signup", "Customers may create their own accounts.", siteFact(s))
	}
	return refuse(Denied, "signup_closed", "This help center does not let people sign up.",
		"Ask the team that runs it to create an account for you.", siteFact(s))
}

// unknownOrOff refuses anonymous callers and deactivated accounts, the
// start of every staff question.
func unknownOrOff(c Caller) (Decision, bool) {
	switch {
	case c.Anonymous():
		return refuse(LoginRequired, "login_required", "Log in to continue.", ""), false
	case !c.Active:
		return deactivated(c), false
	}
	return Decision{}, true
}

// ManageSite: may the caller change help-center-wide settings, service
// projects, branding and staff? Admins only.
func ManageSite(c Caller) Decision {
	if d, ok := unknownOrOff(c); !ok {
		return d
	}
	switch {
	case c.Role == Admin:
		return allow("admin", "Administrators manage the help center.", c.who())
	}
	return refuse(Denied, "admins_only", "Only administrators can change this.", remedyAdmin, c.who())
}

// ManageCustomers: may the caller add and remove customers and
// organizations of project id? Admins, and the project's agents.
func ManageCustomers(c Caller, project uint64) Decision {
	if d, ok := unknownOrOff(c); !ok {
		return d
	}
	switch {
	case c.Role == Admin:
		return allow("admin", "Administrators manage every project's customers.", c.who())
	case c.Role == Agent && c.AgentOf[project]:
		return allow("agent", "Agents manage the customers of their projects.", c.who())
	case c.Role == Agent:
		return refuse(Denied, "not_your_project", "You are not an agent of this project.", remedyAdmin, c.who())
	}
	return refuse(Denied, "staff_only", "This is for agents and admins only.", remedyAdmin, c.who())
}

// WorkConsole: may the caller use the console at all?
func WorkConsole(c Caller) Decision {
	if d, ok := unknownOrOff(c); !ok {
		return d
	}
	switch {
	case c.Role == Admin || c.Role == Agent:
		return allow("staff", "Agents and admins use the console.", c.who())
	}
	return refuse(Denied, "staff_only", "This is for agents and admins only.", "Use the help center instead.", c.who())
}

const (
	noPortal     = "There is no portal here."
	noPortalHint = "Go back to the help center to find another portal."
)

// ErrNoPortal is the answer for an unknown portal id, worded like an
// archived portal's so that ids reveal nothing.
var ErrNoPortal = fault.New(fault.NotFound, noPortal, noPortalHint)

// Err turns a refusal into an error the server maps to a status: login
// required → 401, deactivated or denied → 403, gone → 404. Allowed → nil.
func (d Decision) Err() error {
	switch d.Outcome {
	case Allowed:
		return nil
	case LoginRequired:
		return fault.Unauthorized(d.Reason, d.Remedy)
	case Gone:
		return fault.New(fault.NotFound, d.Reason, d.Remedy)
	}
	return fault.Forbid(d.Reason, d.Remedy)
}

// ChannelMeaning says in plain words what a channel setting means under the
// current site settings: "Open" means different things by site setting.
func ChannelMeaning(s Site, ch Channel) string { return channelFact(s, ch) }

// ManageOrg: may the caller rename, delete, or change the members of an
// organization attached to the given projects? Admins may; an agent only
// when they work every project it is attached to, since its members reach
// all of them (an unattached organization is anyone's on the staff).
func ManageOrg(c Caller, attached []uint64) Decision {
	if d, ok := unknownOrOff(c); !ok {
		return d
	}
	switch {
	case c.Role == Admin:
		return allow("admin", "Administrators manage every organization.", c.who())
	case c.Role != Agent:
		return refuse(Denied, "staff_only", "This is for agents and admins only.", remedyAdmin, c.who())
	}
	for _, p := range attached {
		if !c.AgentOf[p] {
			return refuse(Denied, "not_your_org", "This organization is attached to a portal you do not work on.",
				"Ask an administrator, or an agent of every portal it is attached to.", c.who())
		}
	}
	return allow("agent", "Agents manage the organizations of their own portals.", c.who())
}

package access

import (
	"errors"
	"strings"
	"testing"

	"portico/backend/fault"
)

// Request access: who sees a request, who may share it and with whom
// (JSM.md §2.5's sharing matrix), who may remove people and organizations.

// Account ids and organizations used by the request tests. The request
// under test lives in project it (see access_test.go), was raised by
// reporterID, is shared with participantID and with organization orgOnReq.
const (
	reporterID    = 10
	participantID = 11
	orgMemberID   = 12
	strangerID    = 13
	staffID       = 14

	orgOnReq  = 50 // on the request
	orgOther  = 51 // attached to the project, not on the request
	orgOther2 = 52
)

var theRequest = Request{Project: it, Reporter: reporterID, Participants: []uint64{participantID}, Orgs: []uint64{orgOnReq}}

// reqCaller is an active account; customerOf gives it a route to project it.
func reqCaller(id uint64, role Role, customerOf bool, orgs ...uint64) Caller {
	c := Caller{AccountID: id, Name: "P" + string(rune('A'+id%26)), Role: role, Active: true}
	if customerOf {
		c.CustomerOf = map[uint64][]Route{it: {{Kind: Direct}}}
	}
	if len(orgs) > 0 {
		c.Orgs = map[uint64]bool{}
		for _, o := range orgs {
			c.Orgs[o] = true
		}
	}
	return c
}

func agentOf(c Caller, projects ...uint64) Caller {
	c.AgentOf = map[uint64]bool{}
	for _, p := range projects {
		c.AgentOf[p] = true
	}
	return c
}

// portalStates are the portal situations a caller can be in; route says
// whether the caller keeps their customer route to the project.
var portalStates = []struct {
	name  string
	p     Portal
	route bool
}{
	{"restricted, customer", Portal{ID: it, Channel: Restricted}, true},
	{"restricted, no route", Portal{ID: it, Channel: Restricted}, false},
	{"open, customer", Portal{ID: it, Channel: Open}, true},
	{"open, no route", Portal{ID: it, Channel: Open}, false},
	{"archived restricted", Portal{ID: it, Channel: Restricted, Archived: true}, true},
	{"archived open", Portal{ID: it, Channel: Open, Archived: true}, true},
}

// Outcome shorthands for the tables: y allowed, n denied, L log in, X deactivated.
const (
	y = Allowed
	n = Denied
	L = LoginRequired
	X = Deactivated
)

func TestSeeRequestMatrix(t *testing.T) {
	cases := []struct {
		name string
		// c is the caller with a route to the project; the "no route"
		// states drop it.
		c    Caller
		want [6]Outcome // in portalStates order
		code string     // the decision code in the "restricted, customer" state
	}{
		{"anonymous", Caller{}, [6]Outcome{L, L, L, L, L, L}, "login_required"},
		{"deactivated reporter", func() Caller { c := reqCaller(reporterID, Customer, true); c.Active = false; return c }(),
			[6]Outcome{X, X, X, X, X, X}, "deactivated"},
		{"deactivated admin", func() Caller { c := reqCaller(staffID, Admin, false); c.Active = false; return c }(),
			[6]Outcome{X, X, X, X, X, X}, "deactivated"},
		{"admin, not involved", reqCaller(staffID, Admin, false), [6]Outcome{y, y, y, y, y, y}, "admin"},
		{"agent of the project, not involved", agentOf(reqCaller(staffID, Agent, false), it), [6]Outcome{y, y, y, y, y, y}, "agent"},
		{"agent of another project, not involved", agentOf(reqCaller(staffID, Agent, true), hr), [6]Outcome{n, n, n, n, n, n}, "not_involved"},
		{"agent of another project who reported it", agentOf(reqCaller(reporterID, Agent, true), hr), [6]Outcome{y, n, y, y, n, n}, "reporter"},
		{"reporter", reqCaller(reporterID, Customer, true), [6]Outcome{y, n, y, y, n, n}, "reporter"},
		{"participant", reqCaller(participantID, Customer, true), [6]Outcome{y, n, y, y, n, n}, "participant"},
		{"member of an organization on the request", reqCaller(orgMemberID, Customer, true, orgOnReq), [6]Outcome{y, n, y, y, n, n}, "organization"},
		{"member of an organization not on the request", reqCaller(orgMemberID, Customer, true, orgOther), [6]Outcome{n, n, n, n, n, n}, "not_involved"},
		{"other customer", reqCaller(strangerID, Customer, true), [6]Outcome{n, n, n, n, n, n}, "not_involved"},
	}
	for _, tc := range cases {
		for _, site := range sites { // the site setting never opens a request to anyone
			for i, st := range portalStates {
				c := tc.c
				if !st.route {
					c.CustomerOf = nil
				}
				d := SeeRequest(site.site, st.p, c, theRequest)
				if d.Outcome != tc.want[i] {
					t.Errorf("%s, site %s, %s: SeeRequest = %s (%s); want %s", tc.name, site.name, st.name, d.Outcome, d.Code, tc.want[i])
				}
				if i == 0 && d.Code != tc.code {
					t.Errorf("%s, site %s, %s: code = %q; want %q", tc.name, site.name, st.name, d.Code, tc.code)
				}
				if d.Reason == "" || len(d.Facts) == 0 && d.Outcome != LoginRequired {
					t.Errorf("%s, %s: decision %+v lacks a reason or facts", tc.name, st.name, d)
				}
				if d.Outcome == Denied && d.Reason != ErrNoRequest.Message {
					t.Errorf("%s, %s: refusal reads %q; want the no-access words", tc.name, st.name, d.Reason)
				}
				// The request's refusal never differs from the error for an unknown request.
				err := RequestErr(d)
				switch d.Outcome {
				case Allowed:
					if err != nil {
						t.Errorf("%s, %s: RequestErr(allowed) = %v", tc.name, st.name, err)
					}
				case LoginRequired:
					if fault.KindOf(err) != fault.Unauthenticated {
						t.Errorf("%s, %s: RequestErr(login) = %v; want unauthenticated", tc.name, st.name, err)
					}
				default:
					if err != ErrNoRequest || fault.KindOf(err) != fault.NotFound {
						t.Errorf("%s, %s: RequestErr(%s) = %v; want ErrNoRequest (404)", tc.name, st.name, d.Outcome, err)
					}
				}
			}
		}
	}
}

// A customer removed from a Restricted project loses its requests, even
// their own; in an Open project everyone with an account keeps them.
func TestRemovedReporterLosesRestrictedRequest(t *testing.T) {
	site := Site{Signup: true}
	r := reqCaller(reporterID, Customer, true)
	restricted := Portal{ID: it, Channel: Restricted}
	if d := SeeRequest(site, restricted, r, theRequest); !d.Allow() {
		t.Fatalf("reporter with a route = %+v; want allowed", d)
	}
	r.CustomerOf = nil
	d := SeeRequest(site, restricted, r, theRequest)
	if d.Outcome != Denied || d.Code != "portal_restricted" {
		t.Errorf("reporter removed from a restricted project = %s %s; want denied portal_restricted", d.Outcome, d.Code)
	}
	if facts := strings.Join(d.Facts, " "); !strings.Contains(facts, "reporter") || !strings.Contains(facts, "no longer") {
		t.Errorf("facts %q should say they are the reporter but may no longer use the portal", facts)
	}
	if d := SeeRequest(site, Portal{ID: it, Channel: Open}, r, theRequest); !d.Allow() || d.Code != "reporter" {
		t.Errorf("reporter without a route in an Open portal = %s %s; want allowed as reporter", d.Outcome, d.Code)
	}
	// Another route (an attached organization) keeps the access.
	r.CustomerOf = map[uint64][]Route{it: {{Kind: Organization, Name: "Finance"}}}
	if d := SeeRequest(site, restricted, r, theRequest); !d.Allow() {
		t.Errorf("reporter still in an attached organization = %+v; want allowed", d)
	}
	// Being a customer of another project is no route to this one.
	r.CustomerOf = map[uint64][]Route{hr: {{Kind: Direct}}}
	if d := SeeRequest(site, restricted, r, theRequest); d.Allow() {
		t.Errorf("reporter who is a customer of another project only = %+v; want denied", d)
	}
	// Archived: the reporter loses it, staff keep it.
	archived := Portal{ID: it, Channel: Open, Archived: true}
	r.CustomerOf = map[uint64][]Route{it: {{Kind: Direct}}}
	if d := SeeRequest(site, archived, r, theRequest); d.Outcome != Denied || d.Code != "portal_archived" {
		t.Errorf("reporter of an archived portal = %s %s; want denied portal_archived", d.Outcome, d.Code)
	}
}

// Anonymous callers are never involved, whatever ids the request holds (a
// request whose reporter id is 0 must not open to every visitor).
func TestInvolved(t *testing.T) {
	zeroReq := Request{Project: it, Participants: []uint64{0}}
	cases := []struct {
		name string
		c    Caller
		r    Request
		want Involvement
	}{
		{"anonymous", Caller{}, theRequest, NotInvolved},
		{"anonymous, request with zero ids", Caller{}, zeroReq, NotInvolved},
		{"anonymous claiming a role", Caller{Role: Admin, Active: true}, theRequest, NotInvolved},
		{"deactivated reporter", func() Caller { c := reqCaller(reporterID, Customer, true); c.Active = false; return c }(), theRequest, NotInvolved},
		{"admin who reported it", reqCaller(reporterID, Admin, false), theRequest, AsAdmin},
		{"agent of the project who reported it", agentOf(reqCaller(reporterID, Agent, false), it), theRequest, AsAgent},
		{"agent of another project who reported it", agentOf(reqCaller(reporterID, Agent, false), hr), theRequest, AsReporter},
		{"agent of another project", agentOf(reqCaller(staffID, Agent, false), hr), theRequest, NotInvolved},
		{"reporter also a participant", reqCaller(reporterID, Customer, true, orgOnReq),
			Request{Project: it, Reporter: reporterID, Participants: []uint64{reporterID}, Orgs: []uint64{orgOnReq}}, AsReporter},
		{"participant also in its organization", reqCaller(participantID, Customer, true, orgOnReq), theRequest, AsParticipant},
		{"organization member", reqCaller(orgMemberID, Customer, true, orgOther2, orgOnReq), theRequest, AsOrganization},
		{"member of another organization", reqCaller(orgMemberID, Customer, true, orgOther), theRequest, NotInvolved},
		{"stranger", reqCaller(strangerID, Customer, true), theRequest, NotInvolved},
	}
	for _, tc := range cases {
		if got := Involved(tc.c, tc.r); got != tc.want {
			t.Errorf("%s: Involved = %q; want %q", tc.name, got, tc.want)
		}
		if staff := Involved(tc.c, tc.r).Staff(); staff != (tc.want == AsAdmin || tc.want == AsAgent) {
			t.Errorf("%s: Staff() = %v", tc.name, staff)
		}
	}
}

func TestRequestErr(t *testing.T) {
	if err := RequestErr(Decision{Outcome: Allowed}); err != nil {
		t.Errorf("RequestErr(allowed) = %v; want nil", err)
	}
	login := RequestErr(SeeRequest(Site{Signup: true, Anonymous: true}, Portal{ID: it, Channel: Open}, Caller{}, theRequest))
	if fault.KindOf(login) != fault.Unauthenticated {
		t.Errorf("RequestErr(anonymous) = %v; want 401 unauthenticated", login)
	}
	for _, o := range []Outcome{Denied, Deactivated, Gone} {
		err := RequestErr(Decision{Outcome: o, Code: "x", Reason: "something revealing"})
		if !errors.Is(err, ErrNoRequest) || fault.KindOf(err) != fault.NotFound {
			t.Errorf("RequestErr(%s) = %v; want ErrNoRequest (404)", o, err)
		}
		if fe := fault.As(err); fe == nil || fe.Message != "No Access. You do not have permission to view this request." || fe.Hint == "" {
			t.Errorf("RequestErr(%s) = %+v; want JSM's no-access words and a hint", o, fe)
		}
	}
}

func TestWorkProject(t *testing.T) {
	off := reqCaller(staffID, Admin, false)
	off.Active = false
	for _, tc := range []struct {
		name string
		c    Caller
		want Outcome
		code string
	}{
		{"anonymous", Caller{}, LoginRequired, "login_required"},
		{"deactivated admin", off, Deactivated, "deactivated"},
		{"admin", reqCaller(staffID, Admin, false), Allowed, "admin"},
		{"agent of the project", agentOf(reqCaller(staffID, Agent, false), it), Allowed, "agent"},
		{"agent of another project", agentOf(reqCaller(staffID, Agent, false), hr), Denied, "not_your_project"},
		{"customer of the project", reqCaller(reporterID, Customer, true), Denied, "staff_only"},
		{"customer claiming AgentOf", agentOf(reqCaller(reporterID, Customer, true), it), Denied, "staff_only"},
	} {
		if d := WorkProject(tc.c, it); d.Outcome != tc.want || d.Code != tc.code {
			t.Errorf("%s: WorkProject = %s %s; want %s %s", tc.name, d.Outcome, d.Code, tc.want, tc.code)
		}
	}
}

// Sharing matrix, JSM.md §2.5: rows are targets, columns the three sharing
// settings (organization, email, search), for a customer who may see the
// request. Staff may share with anyone in every cell.
func TestShareMatrix(t *testing.T) {
	signup, noSignup := Site{Signup: true}, Site{}
	open, restricted := Portal{ID: it, Channel: Open}, Portal{ID: it, Channel: Restricted}
	modes := []Sharing{ShareOrganization, ShareEmail, ShareSearch}
	cases := []struct {
		name string
		site Site
		p    Portal
		t    ShareTarget
		want [3]Outcome // organization, email, search
	}{
		{"whole own organization", signup, restricted, ShareTarget{Org: orgOnReq, SameOrg: true}, [3]Outcome{y, y, y}},
		{"member of own organization", signup, restricted, ShareTarget{Exists: true, SameOrg: true, SeesPortal: true}, [3]Outcome{y, y, y}},
		{"other customer of the project, by email", signup, restricted, ShareTarget{Exists: true, SeesPortal: true}, [3]Outcome{n, y, y}},
		{"other organization of the project", signup, restricted, ShareTarget{Org: orgOther}, [3]Outcome{n, n, y}},
		{"unknown email, open project, site allows signup", signup, open, ShareTarget{}, [3]Outcome{n, y, y}},
		{"unknown email, restricted project, site allows signup", signup, restricted, ShareTarget{}, [3]Outcome{n, n, n}},
		{"unknown email, open project, signup off", noSignup, open, ShareTarget{}, [3]Outcome{n, n, n}},
		{"existing account, not a customer of the restricted project", signup, restricted, ShareTarget{Exists: true}, [3]Outcome{n, n, n}},
		{"own organization's member who may not use the portal", signup, restricted, ShareTarget{Exists: true, SameOrg: true}, [3]Outcome{n, n, n}},
		{"existing account, open project (they may use it)", noSignup, open, ShareTarget{Exists: true, SeesPortal: true}, [3]Outcome{n, y, y}},
	}
	customers := []struct {
		name string
		c    Caller
	}{
		{"customer", reqCaller(reporterID, Customer, true, orgOnReq)},
		// An agent of another project is a customer here.
		{"agent of another project", agentOf(reqCaller(reporterID, Agent, true, orgOnReq), hr)},
	}
	staff := []struct {
		name string
		c    Caller
	}{
		{"admin", reqCaller(staffID, Admin, false)},
		{"agent of the project", agentOf(reqCaller(staffID, Agent, false), it)},
	}
	for _, tc := range cases {
		for i, mode := range modes {
			for _, who := range customers {
				d := Share(tc.site, tc.p, mode, who.c, tc.t)
				if d.Outcome != tc.want[i] {
					t.Errorf("%s shares with %s, sharing %s: %s (%s); want %s", who.name, tc.name, mode, d.Outcome, d.Code, tc.want[i])
				}
				if !d.Allow() && (d.Reason == "" || d.Remedy == "") {
					t.Errorf("%s, %s: refusal %+v lacks a reason or remedy", tc.name, mode, d)
				}
			}
			for _, who := range staff {
				if d := Share(tc.site, tc.p, mode, who.c, tc.t); !d.Allow() || d.Code != "staff" {
					t.Errorf("%s shares with %s, sharing %s: %s (%s); want allowed as staff", who.name, tc.name, mode, d.Outcome, d.Code)
				}
			}
		}
	}
}

// An unknown email and an existing non-customer get the same words, so
// sharing cannot probe which addresses have accounts.
func TestShareRefusalsDoNotRevealAccounts(t *testing.T) {
	c := reqCaller(reporterID, Customer, true, orgOnReq)
	for _, site := range sites {
		for _, ch := range channels {
			p := Portal{ID: it, Channel: ch}
			for _, mode := range []Sharing{ShareOrganization, ShareEmail, ShareSearch} {
				unknown := Share(site.site, p, mode, c, ShareTarget{})
				existing := Share(site.site, p, mode, c, ShareTarget{Exists: true})
				if unknown.Allow() || existing.Allow() {
					continue // an Open portal lets both in (or makes the account)
				}
				if unknown.Reason != existing.Reason || unknown.Remedy != existing.Remedy || unknown.Code != existing.Code {
					t.Errorf("site %s, %s, %s: unknown email refused with %q/%q, existing non-customer with %q/%q; want the same",
						site.name, ch, mode, unknown.Code, unknown.Reason, existing.Code, existing.Reason)
				}
			}
		}
	}
}

func TestUseRequestType(t *testing.T) {
	orgAud := Audience{Orgs: []uint64{orgOnReq}}
	domAud := Audience{Domains: []string{"example.com"}}
	withDomain := func(c Caller, d string) Caller { c.Domain = d; return c }
	cases := []struct {
		name string
		c    Caller
		a    Audience
		want bool
	}{
		{"empty audience, anonymous", Caller{}, Audience{}, true},
		{"empty audience, customer", reqCaller(reporterID, Customer, true), Audience{}, true},
		{"org audience, member", reqCaller(reporterID, Customer, true, orgOther, orgOnReq), orgAud, true},
		{"org audience, non-member", reqCaller(reporterID, Customer, true, orgOther), orgAud, false},
		{"org audience, no organizations", reqCaller(reporterID, Customer, true), orgAud, false},
		{"domain audience, matching domain", withDomain(reqCaller(reporterID, Customer, true), "example.com"), domAud, true},
		{"domain audience, other domain", withDomain(reqCaller(reporterID, Customer, true), "example.org"), domAud, false},
		{"domain audience, subdomain", withDomain(reqCaller(reporterID, Customer, true), "mail.example.com"), domAud, false},
		{"domain audience, no domain", reqCaller(reporterID, Customer, true), Audience{Domains: []string{""}}, false},
		{"both audiences, in by domain only", withDomain(reqCaller(reporterID, Customer, true, orgOther), "example.com"),
			Audience{Orgs: []uint64{orgOnReq}, Domains: []string{"example.com"}}, true},
		{"org audience, anonymous", Caller{}, orgAud, false},
		{"domain audience, anonymous with a domain", withDomain(Caller{}, "example.com"), domAud, false},
		{"org audience, admin", reqCaller(staffID, Admin, false), orgAud, true},
		{"domain audience, agent of the project", agentOf(reqCaller(staffID, Agent, false), it), domAud, true},
		{"org audience, agent of another project", agentOf(reqCaller(staffID, Agent, false), hr), orgAud, false},
	}
	for _, tc := range cases {
		if got := UseRequestType(tc.c, it, tc.a); got != tc.want {
			t.Errorf("%s: UseRequestType = %v; want %v", tc.name, got, tc.want)
		}
	}
}

func TestRemoveParticipantAndOrg(t *testing.T) {
	admin := reqCaller(staffID, Admin, false)
	agent := agentOf(reqCaller(staffID, Agent, false), it)
	otherAgent := agentOf(reqCaller(staffID, Agent, false), hr)
	reporter := reqCaller(reporterID, Customer, true)
	participant := reqCaller(participantID, Customer, true)
	member := reqCaller(orgMemberID, Customer, true, orgOnReq)
	r := Request{Project: it, Reporter: reporterID, Participants: []uint64{participantID, orgMemberID}, Orgs: []uint64{orgOnReq}}
	offReporter := reporter
	offReporter.Active = false
	cases := []struct {
		name          string
		c             Caller
		target        uint64
		participant   bool // RemoveParticipant
		organizations bool // RemoveOrg (target ignored)
	}{
		{"admin removes a participant", admin, participantID, true, true},
		{"agent of the project removes a participant", agent, participantID, true, true},
		{"agent of another project removes a participant", otherAgent, participantID, false, false},
		{"reporter removes a participant", reporter, participantID, true, true},
		{"participant removes themself", participant, participantID, true, false},
		{"participant removes another participant", participant, orgMemberID, false, false},
		{"participant removes the reporter", participant, reporterID, false, false},
		{"organization member (also a participant) removes themself", member, orgMemberID, true, false},
		{"organization member removes a participant", member, participantID, false, false},
		{"anonymous removes account 0", Caller{}, 0, false, false},
		{"anonymous removes a participant", Caller{}, participantID, false, false},
		{"deactivated reporter removes a participant", offReporter, participantID, false, false},
	}
	for _, tc := range cases {
		if got := RemoveParticipant(tc.c, r, tc.target); got != tc.participant {
			t.Errorf("%s: RemoveParticipant = %v; want %v", tc.name, got, tc.participant)
		}
		if got := RemoveOrg(tc.c, r); got != tc.organizations {
			t.Errorf("%s: RemoveOrg = %v; want %v", tc.name, got, tc.organizations)
		}
	}
}

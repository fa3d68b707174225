package backend

import (
	"context"
	"fmt"
	"strings"
	"time"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
	"portico/backend/mail"
)

// Flows that span packages: accounts made for people, the links they get,
// and the questions about who reaches what.

// Facts returns the access facts for an account (nil: anonymous).
func (b *Backend) Facts(ctx context.Context, a *identity.Account) (access.Caller, error) {
	return b.HelpCenter.Facts(ctx, a)
}

// queueLink makes a set-password link and puts the email carrying it in the
// outbox. The token travels in the URL fragment, so it never reaches a
// server log when the person opens it.
func (b *Backend) queueLink(ctx context.Context, a identity.Account, p identity.Purpose) error {
	token, exp, err := b.Identity.NewPasswordLink(ctx, a.ID, p)
	if err != nil {
		return err
	}
	hc, err := b.HelpCenter.Get(ctx)
	if err != nil {
		return err
	}
	base := hc.PortalURL
	if base == "" {
		base = "/"
	}
	link := base + "set-password#token=" + token
	var subject, text string
	switch p {
	case identity.Invite:
		subject = fmt.Sprintf("You have been invited to %s", hc.Name)
		text = fmt.Sprintf("Hello %s,\n\nAn account was made for you at %s. Set your password to start:\n\n%s\n\nThe link works once, until %s.\n",
			a.Name, hc.Name, link, exp.Format("2 January 2006 15:04 MST"))
	case identity.Verify:
		subject = fmt.Sprintf("Finish signing up to %s", hc.Name)
		text = fmt.Sprintf("Hello %s,\n\nSet your password to finish signing up to %s:\n\n%s\n\nThe link works once, until %s. If you did not sign up, ignore this email.\n",
			a.Name, hc.Name, link, exp.Format("2 January 2006 15:04 MST"))
	default:
		subject = fmt.Sprintf("Reset your password for %s", hc.Name)
		text = fmt.Sprintf("Hello %s,\n\nSomeone (we hope you) asked to reset your password for %s:\n\n%s\n\nThe link works once, until %s. If it was not you, ignore this email; your password stays as it is.\n",
			a.Name, hc.Name, link, exp.Format("2 January 2006 15:04 MST"))
	}
	// A reset link for staff is a key to the console: only the owner sees
	// it in the outbox, so one admin cannot take over another (or the
	// owner) by asking for a reset and reading the link.
	private := p == identity.Reset && (a.Role == identity.Admin || a.Role == identity.Agent)
	_, err = b.Outbox.Queue(ctx, mail.Email{To: a.Email, Subject: subject, Text: text, Link: link, Kind: string(p),
		Account: a.ID, OwnerOnly: private})
	return err
}

// SetPassword spends a set-password link; every other link of the account
// is spent with it, and the emails carrying them leave the outbox.
func (b *Backend) SetPassword(ctx context.Context, token, password string) (identity.Account, error) {
	a, err := b.Identity.SetPassword(ctx, token, password)
	if err != nil {
		return a, err
	}
	b.dropLinks(ctx, a.ID)
	return a, nil
}

// ChangePassword changes a logged-in account's password; older links die.
func (b *Backend) ChangePassword(ctx context.Context, id uint64, current, password string) (identity.Account, error) {
	a, err := b.Identity.ChangePassword(ctx, id, current, password)
	if err != nil {
		return a, err
	}
	b.dropLinks(ctx, id)
	return a, nil
}

func (b *Backend) dropLinks(ctx context.Context, account uint64) {
	if err := b.Outbox.DismissAccount(ctx, account); err != nil {
		b.log.Warn().Err(err).Msg("outbox: dropping spent links")
	}
}

// UpdateAccount changes an account for an admin. An account that stops
// being an agent stops working its projects, and a deactivated one's
// links leave the outbox.
func (b *Backend) UpdateAccount(ctx context.Context, who access.Caller, id uint64, p identity.AccountPatch) (identity.Account, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return identity.Account{}, err
	}
	a, err := b.Identity.Update(ctx, id, p)
	if err != nil {
		return a, err
	}
	if a.Role != identity.Agent {
		if err := b.HelpCenter.UnassignAll(ctx, id); err != nil {
			return a, err
		}
	}
	if !a.Active {
		b.dropLinks(ctx, id)
	}
	return a, nil
}

// SignupMessage is what every signup answer says, whatever happened, so
// nobody learns whether an address already has an account.
const SignupMessage = "Thanks. A link to set your password will be sent to your email address."

// Signup lets a visitor create a customer account where the site allows.
func (b *Backend) Signup(ctx context.Context, client string, in identity.SignupInput) error {
	site, err := b.HelpCenter.Site(ctx)
	if err != nil {
		return err
	}
	if err := access.Signup(site).Err(); err != nil {
		return err
	}
	res, err := b.Identity.Signup(ctx, client, in)
	switch {
	case err != nil:
		return err
	case res.Trap, res.Inactive:
		return nil
	case res.Existed:
		// Someone signed up with an address that has an account: the owner
		// of the address gets a reset link, the visitor the usual answer.
		return b.queueLink(ctx, res.Account, identity.Reset)
	}
	return b.queueLink(ctx, res.Account, identity.Verify)
}

// ForgotMessage is the answer to every password-reset request.
const ForgotMessage = "If an account uses this address, a link to set a new password will be sent to it."

// Forgot queues a reset link when the address has an active account. The
// link is made after the answer, off the request, so the answer takes as
// long whether or not the address has an account.
func (b *Backend) Forgot(ctx context.Context, client, email string) error {
	a, ok, err := b.Identity.Forgot(ctx, client, email)
	if err != nil || !ok {
		return err
	}
	b.later(func(ctx context.Context) error { return b.queueLink(ctx, a, identity.Reset) })
	return nil
}

// later runs work after the request has been answered; Close waits for it.
func (b *Backend) later(fn func(context.Context) error) {
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := fn(ctx); err != nil {
			b.log.Error().Err(err).Msg("background work failed")
		}
	}()
}

// AddCustomer makes the person with this email a customer of the project,
// creating their account (and queueing its set-password link) if needed.
func (b *Backend) AddCustomer(ctx context.Context, who access.Caller, project uint64, email, name string) (identity.Account, bool, error) {
	if err := access.ManageCustomers(who, project).Err(); err != nil {
		return identity.Account{}, false, err
	}
	if _, err := b.HelpCenter.Project(ctx, project); err != nil {
		return identity.Account{}, false, err
	}
	a, created, err := b.invite(ctx, email, name, identity.Customer)
	if err != nil {
		return a, false, err
	}
	return a, created, b.HelpCenter.AddCustomer(ctx, who, project, a.ID)
}

func (b *Backend) invite(ctx context.Context, email, name string, role identity.Role) (identity.Account, bool, error) {
	a, existed, err := b.Identity.Invite(ctx, identity.NewAccount{Email: email, Name: name, Role: role})
	if err != nil || existed {
		return a, false, err
	}
	return a, true, b.queueLink(ctx, a, identity.Invite)
}

// ManageOrg checks that the caller may change an organization: its
// members reach every portal it is attached to.
func (b *Backend) ManageOrg(ctx context.Context, who access.Caller, org uint64) error {
	if err := access.WorkConsole(who).Err(); err != nil {
		return err
	}
	if _, err := b.Identity.GetOrg(ctx, org); err != nil {
		return err
	}
	attached, err := b.HelpCenter.OrgProjects(ctx, org)
	if err != nil {
		return err
	}
	return access.ManageOrg(who, attached).Err()
}

// AddOrgMember puts the person with this email in an organization,
// creating a customer account for them if needed.
func (b *Backend) AddOrgMember(ctx context.Context, who access.Caller, org uint64, email, name string) (identity.Account, bool, error) {
	if err := b.ManageOrg(ctx, who, org); err != nil {
		return identity.Account{}, false, err
	}
	a, created, err := b.invite(ctx, email, name, identity.Customer)
	if err != nil {
		return a, false, err
	}
	return a, created, b.Identity.AddMember(ctx, org, a.ID)
}

// AddStaff creates an admin or agent account; admins only.
func (b *Backend) AddStaff(ctx context.Context, who access.Caller, email, name string, role identity.Role) (identity.Account, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return identity.Account{}, err
	}
	if role != identity.Admin && role != identity.Agent {
		return identity.Account{}, fault.InvalidFields(map[string]string{"role": "Choose admin or agent."})
	}
	if existing, err := b.Identity.Find(ctx, email); err == nil {
		if existing.Role == identity.Customer {
			return identity.Account{}, fault.Conflictf("%s is a customer. Change their role instead of adding them again.", existing.Email)
		}
		return identity.Account{}, fault.Conflictf("%s already works here.", existing.Email)
	}
	a, _, err := b.invite(ctx, email, name, role)
	return a, err
}

// DeleteOrg removes an organization everywhere.
func (b *Backend) DeleteOrg(ctx context.Context, who access.Caller, org uint64) error {
	if err := b.ManageOrg(ctx, who, org); err != nil {
		return err
	}
	return b.Identity.DeleteOrg(ctx, org, helpcenter.DetachOrgEverywhere)
}

// PortalView is a portal as a visitor who may use it sees it.
type PortalView struct {
	ID               uint64 `json:"id,string"`
	Key              string `json:"key"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	AnnouncementHTML string `json:"announcementHtml"`
	LogoURL          string `json:"logoUrl"`
}

func portalView(p helpcenter.Project) PortalView {
	return PortalView{ID: p.ID, Key: p.Key, Name: p.Title(), Description: p.PortalDescription,
		AnnouncementHTML: helpcenter.RenderMarkdown(p.PortalAnnouncement), LogoURL: p.LogoURL()}
}

// Portals lists the portals the caller may use, in help-center order; it
// refuses when the caller may not see the help center at all.
func (b *Backend) Portals(ctx context.Context, who access.Caller) ([]PortalView, error) {
	site, err := b.HelpCenter.Site(ctx)
	if err != nil {
		return nil, err
	}
	if err := access.SeeHelpCenter(site, who).Err(); err != nil {
		return nil, err
	}
	ps, err := b.HelpCenter.UsableProjects(ctx, site, who)
	out := make([]PortalView, 0, len(ps))
	for _, p := range ps {
		out = append(out, portalView(p))
	}
	return out, err
}

// Portal returns one portal if the caller may use it. An unknown id and an
// archived portal are both "not found"; a refusal names nothing the URL
// did not already carry.
func (b *Backend) Portal(ctx context.Context, who access.Caller, id uint64) (PortalView, error) {
	p, err := b.HelpCenter.UsablePortal(ctx, who, id)
	if err != nil {
		return PortalView{}, err
	}
	return portalView(p), nil
}

// Explanation is the answer to "why can (or can't) this person use this
// portal?".
type Explanation struct {
	Account  *identity.Account `json:"account"`
	Decision access.Decision   `json:"decision"`
}

// Explain decides for someone else, with the chain of facts. An email with
// no account is explained as an anonymous visitor.
func (b *Backend) Explain(ctx context.Context, who access.Caller, email string, project uint64) (Explanation, error) {
	if err := access.ManageCustomers(who, project).Err(); err != nil {
		return Explanation{}, err
	}
	site, err := b.HelpCenter.Site(ctx)
	if err != nil {
		return Explanation{}, err
	}
	p, err := b.HelpCenter.Project(ctx, project)
	if err != nil {
		return Explanation{}, err
	}
	var out Explanation
	a, err := b.Identity.Find(ctx, email)
	switch fault.KindOf(err) {
	case "":
		out.Account = &a
	case fault.NotFound:
	default:
		return Explanation{}, err
	}
	facts, err := b.Facts(ctx, out.Account)
	if err != nil {
		return Explanation{}, err
	}
	out.Decision = access.SeePortal(site, p.Portal(), facts)
	if out.Account == nil {
		out.Decision.Facts = append([]string{fmt.Sprintf("No account uses %s: they would be an anonymous visitor.", strings.TrimSpace(email))}, out.Decision.Facts...)
	}
	return out, nil
}

// OrgMembers lists the accounts in an organization.
func (b *Backend) OrgMembers(ctx context.Context, org uint64) ([]identity.Account, error) {
	var out []identity.Account
	err := b.KV.View(ctx, func(tx *kv.Tx) error {
		if _, err := identity.GetOrgTx(tx, org); err != nil {
			return err
		}
		return identity.OrgMembersTx(tx, org, func(id uint64) error {
			a, err := identity.GetTx(tx, id)
			if err == nil {
				out = append(out, a)
			}
			return err
		})
	})
	return out, err
}

// PortalLogo returns a portal's logo to a caller who may use the portal.
func (b *Backend) PortalLogo(ctx context.Context, who access.Caller, id uint64) (string, []byte, error) {
	p, err := b.HelpCenter.UsablePortal(ctx, who, id)
	if err != nil {
		return "", nil, err
	}
	if p.Logo == "" {
		return "", nil, fault.NotFoundf("This portal has no logo.")
	}
	img, err := b.HelpCenter.Image(ctx, p.Logo)
	return p.Logo, img, err
}

package helpcenter

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/identity"
	"portico/backend/kv"
)

// Who is a project's customer, and how. Portico evaluates organizations and
// domain rules live at every request: removing a rule or detaching an
// organization takes access away at once (JSM copies rules at signup).

func pair(prefix string, a, b uint64) string { return prefix + u(a) + "/" + u(b) }

// link writes (or with del, removes) a relation and its reverse index.
func link(tx *kv.Tx, fwd, rev string, a, b uint64, del bool) error {
	if del {
		if err := tx.Delete(pair(fwd, a, b)); err != nil {
			return err
		}
		return tx.Delete(pair(rev, b, a))
	}
	if err := tx.Set(pair(fwd, a, b), nil); err != nil {
		return err
	}
	return tx.Set(pair(rev, b, a), nil)
}

func (s *Service) manage(ctx context.Context, who access.Caller, project uint64, fn func(tx *kv.Tx, p Project) error) error {
	if err := access.ManageCustomers(who, project).Err(); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		p, err := GetProjectTx(tx, project)
		if err != nil {
			return err
		}
		return fn(tx, p)
	})
}

// AddCustomer makes an account a customer of the project directly.
func (s *Service) AddCustomer(ctx context.Context, who access.Caller, project, account uint64) error {
	return s.manage(ctx, who, project, func(tx *kv.Tx, _ Project) error {
		if _, err := identity.GetTx(tx, account); err != nil {
			return err
		}
		return link(tx, keyCustomer, keyCustomerOf, project, account, false)
	})
}

// RemoveCustomer removes the direct route; other routes (an organization,
// a domain rule) keep the person a customer.
func (s *Service) RemoveCustomer(ctx context.Context, who access.Caller, project, account uint64) error {
	return s.manage(ctx, who, project, func(tx *kv.Tx, _ Project) error {
		return link(tx, keyCustomer, keyCustomerOf, project, account, true)
	})
}

// AttachOrg makes every member of the organization a customer of the project.
func (s *Service) AttachOrg(ctx context.Context, who access.Caller, project, org uint64) error {
	return s.manage(ctx, who, project, func(tx *kv.Tx, _ Project) error {
		if _, err := identity.GetOrgTx(tx, org); err != nil {
			return err
		}
		return link(tx, keyProjectOrg, keyOrgProject, project, org, false)
	})
}

// DetachOrg undoes AttachOrg.
func (s *Service) DetachOrg(ctx context.Context, who access.Caller, project, org uint64) error {
	return s.manage(ctx, who, project, func(tx *kv.Tx, _ Project) error {
		return link(tx, keyProjectOrg, keyOrgProject, project, org, true)
	})
}

// DetachOrgEverywhere removes an organization from every project; it runs
// inside identity.DeleteOrg's transaction.
func DetachOrgEverywhere(tx *kv.Tx, org uint64) error {
	var projects []uint64
	if err := kv.ScanIDs(tx, keyOrgProject+u(org)+"/", func(p uint64) error { projects = append(projects, p); return nil }); err != nil {
		return err
	}
	for _, p := range projects {
		if err := link(tx, keyProjectOrg, keyOrgProject, p, org, true); err != nil {
			return err
		}
	}
	// Domain rules that put people in this organization keep working
	// without it.
	var rules []string
	err := kv.Scan(tx, keyRule, func(key string, r Rule) error {
		if r.Organization == org {
			rules = append(rules, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range rules {
		r, err := kv.Get[Rule](tx, k)
		if err != nil {
			return err
		}
		r.Organization = 0
		if err := kv.Put(tx, k, r); err != nil {
			return err
		}
	}
	return nil
}

// OrgProjects lists the projects an organization is attached to.
func (s *Service) OrgProjects(ctx context.Context, org uint64) ([]uint64, error) {
	var out []uint64
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return kv.ScanIDs(tx, keyOrgProject+u(org)+"/", func(p uint64) error { out = append(out, p); return nil })
	})
	return out, err
}

// ProjectOrgs lists the organizations attached to a project.
func (s *Service) ProjectOrgs(ctx context.Context, project uint64) ([]identity.Org, error) {
	var out []identity.Org
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return kv.ScanIDs(tx, keyProjectOrg+u(project)+"/", func(id uint64) error {
			o, err := identity.GetOrgTx(tx, id)
			if err == nil {
				out = append(out, o)
			}
			return err
		})
	})
	return out, err
}

// Rule is an email-domain rule: people with an address at Domain are
// customers of the project (and, if set, count as members of Organization).
type Rule struct {
	Domain       string `json:"domain"`
	Organization uint64 `json:"organization,omitempty,string"`
}

var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// NormalizeDomain accepts "example.com" or "@Example.com".
func NormalizeDomain(d string) (string, bool) {
	d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
	return d, len(d) <= 253 && domainRE.MatchString(d)
}

// AddRule adds (or replaces) the project's rule for a domain.
func (s *Service) AddRule(ctx context.Context, who access.Caller, project uint64, r Rule) (Rule, error) {
	d, ok := NormalizeDomain(r.Domain)
	if !ok {
		return Rule{}, fault.InvalidFields(map[string]string{"domain": "Enter a domain like example.com."})
	}
	r.Domain = d
	err := s.manage(ctx, who, project, func(tx *kv.Tx, _ Project) error {
		if r.Organization != 0 {
			if _, err := identity.GetOrgTx(tx, r.Organization); err != nil {
				return err
			}
			// The rule adds people to the organization, so it reaches every
			// portal the organization is attached to.
			var attached []uint64
			if err := kv.ScanIDs(tx, keyOrgProject+u(r.Organization)+"/", func(p uint64) error { attached = append(attached, p); return nil }); err != nil {
				return err
			}
			if err := access.ManageOrg(who, attached).Err(); err != nil {
				return err
			}
		}
		if err := kv.Put(tx, keyRule+u(project)+"/"+d, r); err != nil {
			return err
		}
		return tx.Set(keyRuleDomain+d+"/"+u(project), nil)
	})
	return r, err
}

// RemoveRule deletes the project's rule for a domain; access it gave ends at once.
func (s *Service) RemoveRule(ctx context.Context, who access.Caller, project uint64, domain string) error {
	d, _ := NormalizeDomain(domain)
	return s.manage(ctx, who, project, func(tx *kv.Tx, _ Project) error {
		if ok, err := tx.Has(keyRule + u(project) + "/" + d); err != nil || !ok {
			if !ok {
				return fault.NotFoundf("This project has no rule for %s.", d)
			}
			return err
		}
		if err := tx.Delete(keyRule + u(project) + "/" + d); err != nil {
			return err
		}
		return tx.Delete(keyRuleDomain + d + "/" + u(project))
	})
}

// Rules lists a project's domain rules.
func (s *Service) Rules(ctx context.Context, project uint64) ([]Rule, error) {
	out := []Rule{}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return kv.Scan(tx, keyRule+u(project)+"/", func(_ string, r Rule) error { out = append(out, r); return nil })
	})
	return out, err
}

// AssignAgent lets an agent work a project; admins decide.
func (s *Service) AssignAgent(ctx context.Context, who access.Caller, project, account uint64, assign bool) error {
	if err := access.ManageSite(who).Err(); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		if _, err := GetProjectTx(tx, project); err != nil {
			return err
		}
		a, err := identity.GetTx(tx, account)
		if err != nil {
			return err
		}
		if assign && a.Role != identity.Agent {
			return fault.Invalidf("Only agents are assigned to projects; administrators reach every project already.")
		}
		return link(tx, keyAgent, keyAgentOf, project, account, !assign)
	})
}

// UnassignAll takes an account off every project it worked as an agent,
// for an account that is no longer an agent.
func (s *Service) UnassignAll(ctx context.Context, account uint64) error {
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		var ps []uint64
		if err := kv.ScanIDs(tx, keyAgentOf+u(account)+"/", func(p uint64) error { ps = append(ps, p); return nil }); err != nil {
			return err
		}
		for _, p := range ps {
			if err := link(tx, keyAgent, keyAgentOf, p, account, true); err != nil {
				return err
			}
		}
		return nil
	})
}

// AgentProjects lists the projects an agent works.
func (s *Service) AgentProjects(ctx context.Context, account uint64) ([]uint64, error) {
	var out []uint64
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return kv.ScanIDs(tx, keyAgentOf+u(account)+"/", func(p uint64) error { out = append(out, p); return nil })
	})
	return out, err
}

// Facts gathers what access decisions need to know about an account: the
// projects it works as an agent and every route that makes it a customer.
// A nil account is an anonymous visitor.
func (s *Service) Facts(ctx context.Context, a *identity.Account) (access.Caller, error) {
	if a == nil {
		return access.Caller{}, nil
	}
	c := access.Caller{AccountID: a.ID, Name: a.Name, Role: access.Role(a.Role), Active: a.Active, Domain: identity.Domain(a.Email)}
	err := s.db.View(ctx, func(tx *kv.Tx) error { return factsTx(tx, a, &c) })
	return c, err
}

func factsTx(tx *kv.Tx, a *identity.Account, c *access.Caller) error {
	add := func(p uint64, r access.Route) {
		if c.CustomerOf == nil {
			c.CustomerOf = map[uint64][]access.Route{}
		}
		c.CustomerOf[p] = append(c.CustomerOf[p], r)
	}
	err := kv.ScanIDs(tx, keyAgentOf+u(a.ID)+"/", func(p uint64) error {
		if c.AgentOf == nil {
			c.AgentOf = map[uint64]bool{}
		}
		c.AgentOf[p] = true
		return nil
	})
	if err != nil {
		return err
	}
	if err := kv.ScanIDs(tx, keyCustomerOf+u(a.ID)+"/", func(p uint64) error { add(p, access.Route{Kind: access.Direct}); return nil }); err != nil {
		return err
	}
	inOrg := func(org uint64) {
		if c.Orgs == nil {
			c.Orgs = map[uint64]bool{}
		}
		c.Orgs[org] = true
	}
	err = identity.OrgsOfTx(tx, a.ID, func(org uint64) error {
		inOrg(org)
		o, err := identity.GetOrgTx(tx, org)
		if err != nil {
			return err
		}
		return kv.ScanIDs(tx, keyOrgProject+u(org)+"/", func(p uint64) error {
			add(p, access.Route{Kind: access.Organization, Name: o.Name})
			return nil
		})
	})
	if err != nil {
		return err
	}
	d := identity.Domain(a.Email)
	var ruleOrgs []uint64
	err = kv.ScanIDs(tx, keyRuleDomain+d+"/", func(p uint64) error {
		add(p, access.Route{Kind: access.DomainRule, Name: d})
		r, err := kv.Get[Rule](tx, keyRule+u(p)+"/"+d)
		if err == nil && r.Organization != 0 {
			ruleOrgs = append(ruleOrgs, r.Organization)
		}
		return err
	})
	if err != nil {
		return err
	}
	// A rule can also put everyone at the domain in an organization; that
	// membership is as live as the rule, and reaches wherever the
	// organization is attached.
	for _, org := range ruleOrgs {
		o, err := identity.GetOrgTx(tx, org)
		if fault.KindOf(err) == fault.NotFound {
			continue
		}
		if err != nil {
			return err
		}
		inOrg(org)
		if err := kv.ScanIDs(tx, keyOrgProject+u(org)+"/", func(p uint64) error {
			add(p, access.Route{Kind: access.Organization, Name: o.Name + " (by the domain rule @" + d + ")"})
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// CustomerRow is one customer of a project with every route that makes
// them one.
type CustomerRow struct {
	Account identity.Account `json:"account"`
	Routes  []access.Route   `json:"routes"`
}

// Customers lists a project's customers, optionally filtered by a search
// over name and email, at most limit rows (and the total that matched).
func (s *Service) Customers(ctx context.Context, who access.Caller, project uint64, q string, limit int) ([]CustomerRow, int, error) {
	if err := access.ManageCustomers(who, project).Err(); err != nil {
		return nil, 0, err
	}
	return s.SearchCustomers(ctx, project, q, limit)
}

// SearchCustomers is Customers without the permission check, for callers
// that decided it themselves (sharing a request by searching the project).
func (s *Service) SearchCustomers(ctx context.Context, project uint64, q string, limit int) ([]CustomerRow, int, error) {
	q = strings.ToLower(strings.TrimSpace(q))
	routes := map[uint64][]access.Route{}
	var rows []CustomerRow
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		if _, err := GetProjectTx(tx, project); err != nil {
			return err
		}
		if err := kv.ScanIDs(tx, keyCustomer+u(project)+"/", func(a uint64) error {
			routes[a] = append(routes[a], access.Route{Kind: access.Direct})
			return nil
		}); err != nil {
			return err
		}
		if err := kv.ScanIDs(tx, keyProjectOrg+u(project)+"/", func(org uint64) error {
			o, err := identity.GetOrgTx(tx, org)
			if err != nil {
				return err
			}
			if err := identity.OrgMembersTx(tx, org, func(a uint64) error {
				routes[a] = append(routes[a], access.Route{Kind: access.Organization, Name: o.Name})
				return nil
			}); err != nil {
				return err
			}
			// People a domain rule puts in this organization.
			return kv.Scan(tx, keyRule, func(_ string, r Rule) error {
				if r.Organization != org {
					return nil
				}
				return identity.ByDomainTx(tx, r.Domain, func(a uint64) error {
					routes[a] = append(routes[a], access.Route{Kind: access.Organization, Name: o.Name + " (by the domain rule @" + r.Domain + ")"})
					return nil
				})
			})
		}); err != nil {
			return err
		}
		if err := kv.Scan(tx, keyRule+u(project)+"/", func(_ string, r Rule) error {
			return identity.ByDomainTx(tx, r.Domain, func(a uint64) error {
				routes[a] = append(routes[a], access.Route{Kind: access.DomainRule, Name: r.Domain})
				return nil
			})
		}); err != nil {
			return err
		}
		for id, rs := range routes {
			a, err := identity.GetTx(tx, id)
			if errors.Is(err, errNoProject) || fault.KindOf(err) == fault.NotFound {
				continue
			}
			if err != nil {
				return err
			}
			if q != "" && !strings.Contains(strings.ToLower(a.Name), q) && !strings.Contains(strings.ToLower(a.Email), q) {
				continue
			}
			rows = append(rows, CustomerRow{Account: a, Routes: rs})
		}
		return nil
	})
	sort.Slice(rows, func(i, j int) bool {
		return strings.ToLower(rows[i].Account.Name) < strings.ToLower(rows[j].Account.Name)
	})
	total := len(rows)
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	return rows, total, err
}

// AddCustomerTx makes account a direct customer of project inside the
// caller's transaction: raising in an Open portal, or staff sharing with
// someone, adds them to the Customers list, as JSM does.
func AddCustomerTx(tx *kv.Tx, project, account uint64) error {
	return link(tx, keyCustomer, keyCustomerOf, project, account, false)
}

// OrgAttachedTx reports whether org is attached to project.
func OrgAttachedTx(tx *kv.Tx, project, org uint64) (bool, error) {
	return tx.Has(pair(keyProjectOrg, project, org))
}

// ProjectOrgIDsTx calls fn with every organization attached to project.
func ProjectOrgIDsTx(tx *kv.Tx, project uint64, fn func(org uint64) error) error {
	return kv.ScanIDs(tx, keyProjectOrg+u(project)+"/", fn)
}

// IsAgentTx reports whether account is assigned to project as an agent.
func IsAgentTx(tx *kv.Tx, project, account uint64) (bool, error) {
	return tx.Has(pair(keyAgent, project, account))
}

// ProjectAgentIDsTx calls fn with every agent assigned to project.
func ProjectAgentIDsTx(tx *kv.Tx, project uint64, fn func(account uint64) error) error {
	return kv.ScanIDs(tx, keyAgent+u(project)+"/", fn)
}

package access

import "portico/backend/fault"

// ViewMode is a knowledge base's "Who can view".
type ViewMode string

const (
	// ViewInherit: as the category says, or for a category as the space says.
	ViewInherit ViewMode = "inherit"
	// ViewAnyone: whoever may reach the portal — without logging in only
	// where the portal itself allows that (JSM hides "Anyone" articles of a
	// restricted portal the same way).
	ViewAnyone ViewMode = "anyone"
	// ViewLoggedIn: anyone logged in who may reach the portal.
	ViewLoggedIn ViewMode = "loggedin"
	// ViewAudience: logged-in members of some organizations or email
	// domains who may reach the portal. JSM has no such rule (JSDCLOUD-8006).
	ViewAudience ViewMode = "audience"
)

// ViewRule is "Who can view" with its audience.
type ViewRule struct {
	Mode    ViewMode `json:"mode"`
	Orgs    []uint64 `json:"orgs,omitempty"`
	Domains []string `json:"domains,omitempty"`
}

// Effective resolves the article's rule against its category's and its
// space's: the first that is not inherit. A space that says inherit (it
// never should) means logged-in users, the safer reading.
func Effective(rules ...ViewRule) ViewRule {
	for _, r := range rules {
		if r.Mode != ViewInherit && r.Mode != "" {
			return r
		}
	}
	return ViewRule{Mode: ViewLoggedIn}
}

// Article is what access needs to know about a knowledge base article.
type Article struct {
	Project   uint64
	Published bool
	View      ViewRule // effective
}

// ErrNoArticle is every refusal of a known caller and every unknown id:
// the same words, so ids reveal nothing.
var ErrNoArticle = fault.NotFoundf("There is no such article, or you may not see it.")

// SeeArticle: may the caller read article a of portal p? Staff of the
// project always (drafts too); anyone else only a published article of a
// portal they may use, under its "Who can view".
func SeeArticle(s Site, p Portal, c Caller, a Article) Decision {
	if EditArticles(c, a.Project).Allow() {
		return allow("staff", "Agents and admins of the project see every article of its knowledge base, drafts too.", c.who())
	}
	if !c.Anonymous() && !c.Active {
		return deactivated(c)
	}
	if !a.Published {
		return refuse(Denied, "draft", "This article is a draft.", "")
	}
	if d := SeePortal(s, p, c); !d.Allow() {
		return d
	}
	switch a.View.Mode {
	case ViewAnyone:
		return allow("anyone", "Anyone who may use the portal may read this article.")
	case ViewAudience:
		if c.Anonymous() {
			return refuse(LoginRequired, "login_required", "Log in to read this article.", loginRemedy(s))
		}
		if InAudience(c, a.View) {
			return allow("audience", "This article is for some organizations or email domains, and the caller is in one of them.", c.who())
		}
		return refuse(Denied, "not_audience", "This article is for some organizations only.", remedyAdmin, c.who())
	}
	if c.Anonymous() {
		return refuse(LoginRequired, "login_required", "Log in to read this article.", loginRemedy(s))
	}
	return allow("loggedin", "Everyone logged in who may use the portal may read this article.", c.who())
}

// InAudience reports whether the caller is in rule's organizations or
// domains.
func InAudience(c Caller, r ViewRule) bool {
	return UseRequestType(Caller{AccountID: c.AccountID, Active: c.Active, Orgs: c.Orgs, Domain: c.Domain, Role: Customer},
		0, Audience{Orgs: r.Orgs, Domains: r.Domains}) && !(len(r.Orgs) == 0 && len(r.Domains) == 0)
}

// EditArticles: may the caller write project's knowledge base? Its agents
// and admins ("Service project users" in JSM).
func EditArticles(c Caller, project uint64) Decision {
	return WorkProject(c, project)
}

// ArticleErr for a refusal: log in (401) when that would help, else the
// same 404 as an unknown article.
func ArticleErr(d Decision) error {
	switch d.Outcome {
	case Allowed:
		return nil
	case LoginRequired:
		return d.Err()
	}
	return ErrNoArticle
}

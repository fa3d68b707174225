// Package helpcenter owns the help center: its name and the address
// customers use to reach it. Portals and branding join it in Step 2.
package helpcenter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/identity"
	"portico/backend/kv"
)

// DefaultName is what a help center is called until someone names it.
const DefaultName = "Help Center"

type stored struct {
	Name         string      `json:"name"`
	PortalURL    string      `json:"portalUrl,omitempty"`
	Access       access.Site `json:"access"`
	Announcement string      `json:"announcement,omitempty"`
	LoginMessage string      `json:"loginMessage,omitempty"`
	PrimaryColor string      `json:"primaryColor,omitempty"`
	BannerColor  string      `json:"bannerColor,omitempty"`
	Logo         string      `json:"logo,omitempty"` // image id
	Language     string      `json:"language,omitempty"`
}

// Settings is the help center as callers see it.
type Settings struct {
	Name string `json:"name"`
	// PortalURL is the canonical address of the portal: links Portico
	// builds (emails, API _links) use it.
	PortalURL        string      `json:"portalUrl"`
	Access           access.Site `json:"access"`
	Announcement     string      `json:"announcement"`
	AnnouncementHTML string      `json:"announcementHtml"`
	LoginMessage     string      `json:"loginMessage"`
	LoginMessageHTML string      `json:"loginMessageHtml"`
	PrimaryColor     string      `json:"primaryColor"`
	BannerColor      string      `json:"bannerColor"`
	// LogoURL is where the logo is served ("" without one); it changes
	// with the image, so browsers may cache it.
	LogoURL string `json:"logoUrl"`
	// Logo is the image id, for notifications that embed it later.
	Logo string `json:"-"`
	// Language is the knowledge base's search language: its stemming and
	// stop words.
	Language string `json:"language"`
}

// Languages are the search languages Portico analyses text in.
var Languages = []string{"en", "de", "es", "fr", "it", "nl", "pt", "sv", "da", "fi", "no", "ru"}

// DefaultLanguage is the search language until an admin picks another.
const DefaultLanguage = "en"

// Default colours: the portal's look until an admin brands it.
const (
	DefaultPrimary = "#1f6feb"
	DefaultBanner  = "#1f6feb"
)

// Service is the help center domain.
type Service struct {
	db  *kv.DB
	now func() time.Time

	mu        sync.RWMutex
	addresses []string

	// projects caches the decoded project list: every help-center page
	// reads it and it changes rarely. Writes bump gen and drop it; a read
	// that raced a write does not store what it read.
	pmu      sync.Mutex
	projects []Project
	gen      uint64

	// OnCreate runs in a new project's transaction: the request package
	// gives it a starting catalogue there, so no project is ever empty.
	OnCreate func(tx *kv.Tx, p Project) error
	// OnLanguage is told after the search language changed.
	OnLanguage func(lang string)
}

func New(db *kv.DB) *Service { return &Service{db: db, now: time.Now} }

// SetAddresses records where this process can be reached right now (one
// URL per LAN address); the first is the default canonical address.
func (s *Service) SetAddresses(urls []string) {
	s.mu.Lock()
	s.addresses = append([]string(nil), urls...)
	s.mu.Unlock()
}

// Addresses returns the URLs set by SetAddresses.
func (s *Service) Addresses() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.addresses...)
}

// Get returns the settings; anyone may read them.
func (s *Service) Get(ctx context.Context) (Settings, error) {
	var st stored
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) { st, err = load(tx); return err })
	if err != nil {
		return Settings{}, err
	}
	return s.view(st), nil
}

func load(tx *kv.Tx) (stored, error) {
	st, err := kv.Get[stored](tx, keySettings)
	if errors.Is(err, kv.ErrNotFound) {
		return stored{Name: DefaultName}, nil
	}
	return st, err
}

func (s *Service) view(st stored) Settings {
	out := Settings{Name: st.Name, PortalURL: st.PortalURL, Access: st.Access,
		Announcement: st.Announcement, AnnouncementHTML: RenderMarkdown(st.Announcement),
		LoginMessage: st.LoginMessage, LoginMessageHTML: RenderMarkdown(st.LoginMessage),
		PrimaryColor: cmp.Or(st.PrimaryColor, DefaultPrimary), BannerColor: cmp.Or(st.BannerColor, DefaultBanner),
		Language: cmp.Or(st.Language, DefaultLanguage)}
	out.Access.Anonymous = st.Access.AnonymousAllowed()
	if st.Logo != "" {
		out.Logo, out.LogoURL = st.Logo, "/api/helpcenter/logo?v="+st.Logo[:12]
	}
	if out.PortalURL == "" {
		if a := s.Addresses(); len(a) > 0 {
			out.PortalURL = a[0]
		}
	}
	return out
}

// Patch changes the fields that are set. Nil means "leave as it is".
type Patch struct {
	Name         *string      `json:"name"`
	PortalURL    *string      `json:"portalUrl"`
	Access       *access.Site `json:"access"`
	Announcement *string      `json:"announcement"`
	LoginMessage *string      `json:"loginMessage"`
	PrimaryColor *string      `json:"primaryColor"`
	BannerColor  *string      `json:"bannerColor"`
	Language     *string      `json:"language"`
}

// Update applies p for who, who must be allowed to manage the site.
func (s *Service) Update(ctx context.Context, who access.Caller, p Patch) (Settings, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Settings{}, err
	}
	return s.update(ctx, p)
}

// SiteTx reads the customer-access setting inside a transaction.
func SiteTx(tx *kv.Tx) (access.Site, error) {
	st, err := load(tx)
	return st.Access, err
}

// Site returns the customer-access setting, for access decisions.
func (s *Service) Site(ctx context.Context) (access.Site, error) {
	st, err := s.Get(ctx)
	return st.Access, err
}

// Name sets the name during setup, before any admin can log in; the caller
// (backend.Setup) has already proven its claim to the instance.
func (s *Service) Name(ctx context.Context, name string) (Settings, error) {
	return s.update(ctx, Patch{Name: &name})
}

// Configure applies p without an access check, for setup, whose caller has
// proven its claim to the instance before any admin exists.
func (s *Service) Configure(ctx context.Context, p Patch) (Settings, error) {
	return s.update(ctx, p)
}

func (s *Service) update(ctx context.Context, p Patch) (Settings, error) {
	bad := map[string]string{}
	var name, portal string
	if p.Name != nil {
		name = strings.TrimSpace(*p.Name)
		if msg := CheckName(name); msg != "" {
			bad["name"] = msg
		}
	}
	if p.PortalURL != nil {
		var msg string
		if portal, msg = normalizeURL(*p.PortalURL); msg != "" {
			bad["portalUrl"] = msg
		}
	}
	if p.Access != nil && p.Access.Anonymous && !p.Access.Signup {
		bad["access"] = "Customers can use portals without logging in only where they may create accounts."
	}
	checkText(bad, "announcement", p.Announcement, 5000)
	checkText(bad, "loginMessage", p.LoginMessage, 2000)
	checkColor(bad, "primaryColor", p.PrimaryColor)
	checkColor(bad, "bannerColor", p.BannerColor)
	if p.Language != nil && !slices.Contains(Languages, *p.Language) {
		bad["language"] = "Choose one of the languages offered."
	}
	if len(bad) > 0 {
		return Settings{}, fault.InvalidFields(bad)
	}
	var st stored
	var before string
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if st, err = load(tx); err != nil {
			return err
		}
		before = cmp.Or(st.Language, DefaultLanguage)
		if p.Language != nil {
			st.Language = *p.Language
		}
		if p.Name != nil {
			st.Name = name
		}
		if p.PortalURL != nil {
			st.PortalURL = portal
		}
		if p.Access != nil {
			st.Access = *p.Access
			// Access without logging in needs accounts: JSM forces it off too.
			st.Access.Anonymous = p.Access.AnonymousAllowed()
		}
		setText(&st.Announcement, p.Announcement)
		setText(&st.LoginMessage, p.LoginMessage)
		setColor(&st.PrimaryColor, p.PrimaryColor)
		setColor(&st.BannerColor, p.BannerColor)
		return kv.Put(tx, keySettings, st)
	})
	if err != nil {
		return Settings{}, err
	}
	out := s.view(st)
	if out.Language != before && s.OnLanguage != nil {
		s.OnLanguage(out.Language)
	}
	return out, nil
}

// CheckName returns what is wrong with a help center name, or "".
func CheckName(name string) string {
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case n == 0:
		return "Enter a name for the help center."
	case n > 100:
		return "Use at most 100 characters."
	}
	return identity.CheckText(name)
}

func checkText(bad map[string]string, field string, v *string, max int) {
	if v != nil && utf8.RuneCountInString(*v) > max {
		bad[field] = fmt.Sprintf("Use at most %d characters.", max)
	}
}

func setText(dst *string, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}

var colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func checkColor(bad map[string]string, field string, v *string) {
	if v != nil && *v != "" && !colorRE.MatchString(strings.TrimSpace(*v)) {
		bad[field] = "Use a colour like #1f6feb."
	}
}

func setColor(dst *string, v *string) {
	if v != nil {
		*dst = strings.ToLower(strings.TrimSpace(*v))
	}
}

// normalizeURL accepts an absolute http(s) URL with a host and no query or
// fragment, and returns it ending in "/". An empty string means "use the
// default address".
func normalizeURL(raw string) (string, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ""
	}
	const msg = "Enter a web address like http://192.168.1.20:8480/."
	if len(raw) > 300 {
		return "", msg
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", msg
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), ""
}

// Language returns the search language.
func (s *Service) Language(ctx context.Context) (string, error) {
	st, err := s.Get(ctx)
	return st.Language, err
}

package helpcenter

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/identity"
	"portico/backend/kv"
)

// Sharing is a project's "Customer sharing" setting, decided by access.
type Sharing = access.Sharing

const (
	ShareOrganization = access.ShareOrganization
	ShareEmail        = access.ShareEmail
	ShareSearch       = access.ShareSearch
)

// Project is a service project and its portal.
type Project struct {
	ID                 uint64         `json:"id,string"`
	Key                string         `json:"key"`
	Name               string         `json:"name"`
	PortalName         string         `json:"portalName"`
	PortalDescription  string         `json:"portalDescription"`
	PortalAnnouncement string         `json:"portalAnnouncement"`
	Channel            access.Channel `json:"channel"`
	Sharing            Sharing        `json:"sharing"`
	Order              int            `json:"order"`
	Archived           bool           `json:"archived"`
	Created            time.Time      `json:"created"`
	Logo               string         `json:"logo,omitempty"` // image id
}

// LogoURL is where the portal's logo is served, "" without one.
func (p Project) LogoURL() string {
	if p.Logo == "" {
		return ""
	}
	return "/api/portals/" + u(p.ID) + "/logo?v=" + p.Logo[:12]
}

// Portal is what access decisions need to know about the project.
func (p Project) Portal() access.Portal {
	return access.Portal{ID: p.ID, Channel: p.Channel, Archived: p.Archived}
}

// Title is the portal's name, falling back to the project's.
func (p Project) Title() string {
	if p.PortalName != "" {
		return p.PortalName
	}
	return p.Name
}

func projectKey(id uint64) string { return keyProject + u(id) }
func u(id uint64) string          { return strconv.FormatUint(id, 10) }

var keyRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)

// ProjectInput creates or changes a project; nil fields stay as they are.
type ProjectInput struct {
	Key                *string         `json:"key"`
	Name               *string         `json:"name"`
	PortalName         *string         `json:"portalName"`
	PortalDescription  *string         `json:"portalDescription"`
	PortalAnnouncement *string         `json:"portalAnnouncement"`
	Channel            *access.Channel `json:"channel"`
	Sharing            *Sharing        `json:"sharing"`
	Order              *int            `json:"order"`
	Archived           *bool           `json:"archived"`
}

func (in ProjectInput) apply(p *Project, creating bool) error {
	bad := map[string]string{}
	if in.Key != nil {
		k := strings.ToUpper(strings.TrimSpace(*in.Key))
		if msg := CheckKey(k); msg != "" {
			bad["key"] = msg
		} else if !creating && k != p.Key {
			bad["key"] = "A project's key cannot change: request keys like " + p.Key + "-42 are built from it."
		}
		p.Key = k
	} else if creating {
		bad["key"] = "Enter a key, like IT."
	}
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
	}
	switch n := utf8.RuneCountInString(p.Name); {
	case n == 0:
		bad["name"] = "Enter a name for the project."
	case n > 100:
		bad["name"] = "Use at most 100 characters."
	case identity.CheckText(p.Name) != "":
		bad["name"] = identity.CheckText(p.Name)
	}
	if in.PortalName != nil {
		p.PortalName = strings.TrimSpace(*in.PortalName)
		if utf8.RuneCountInString(p.PortalName) > 100 {
			bad["portalName"] = "Use at most 100 characters."
		} else if msg := identity.CheckText(p.PortalName); msg != "" {
			bad["portalName"] = msg
		}
	}
	if in.PortalDescription != nil {
		p.PortalDescription = strings.TrimSpace(*in.PortalDescription)
		if utf8.RuneCountInString(p.PortalDescription) > 1000 {
			bad["portalDescription"] = "Use at most 1000 characters."
		}
	}
	if in.PortalAnnouncement != nil {
		p.PortalAnnouncement = strings.TrimSpace(*in.PortalAnnouncement)
		if utf8.RuneCountInString(p.PortalAnnouncement) > 5000 {
			bad["portalAnnouncement"] = "Use at most 5000 characters."
		}
	}
	if in.Channel != nil {
		switch *in.Channel {
		case access.Open, access.Restricted:
			p.Channel = *in.Channel
		default:
			bad["channel"] = "Choose open or restricted."
		}
	}
	if in.Sharing != nil {
		switch *in.Sharing {
		case ShareOrganization, ShareEmail, ShareSearch:
			p.Sharing = *in.Sharing
		default:
			bad["sharing"] = "Choose organization, email or search."
		}
	}
	if in.Order != nil {
		if *in.Order < 0 || *in.Order > 100000 {
			bad["order"] = "Use a position from 0 to 100000."
		}
		p.Order = *in.Order
	}
	if in.Archived != nil {
		p.Archived = *in.Archived
	}
	if len(bad) > 0 {
		return fault.InvalidFields(bad)
	}
	return nil
}

// CreateProject makes a service project with its portal. New projects are
// Restricted and share within organizations: the tightest settings, opened
// up on purpose.
func (s *Service) CreateProject(ctx context.Context, who access.Caller, in ProjectInput) (Project, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Project{}, err
	}
	return s.createProject(ctx, in)
}

// FirstProject creates the first portal during setup (no admin exists yet
// to ask).
func (s *Service) FirstProject(ctx context.Context, in ProjectInput) (Project, error) {
	return s.createProject(ctx, in)
}

// CheckKey returns what is wrong with a project key, or "".
func CheckKey(k string) string {
	if !keyRE.MatchString(k) {
		return "Use 2 to 10 capital letters or digits, starting with a letter, like IT or HR2."
	}
	return ""
}

func (s *Service) createProject(ctx context.Context, in ProjectInput) (Project, error) {
	p := Project{Channel: access.Restricted, Sharing: ShareOrganization}
	if err := in.apply(&p, true); err != nil {
		return Project{}, err
	}
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if ok, err := tx.Has(keyProjectKey + p.Key); err != nil || ok {
			if ok {
				return fault.InvalidFields(map[string]string{"key": "Another project already uses the key " + p.Key + "."})
			}
			return err
		}
		id, err := tx.Next(seqProject)
		if err != nil {
			return err
		}
		p.ID = id
		p.Created = s.now().UTC()
		if in.Order == nil {
			max := 0
			kv.Scan(tx, keyProject, func(_ string, q Project) error { max = maxInt(max, q.Order); return nil })
			p.Order = max + 1
		}
		if err := kv.Put(tx, projectKey(id), p); err != nil {
			return err
		}
		if err := tx.Set(keyProjectKey+p.Key, []byte(u(id))); err != nil {
			return err
		}
		if s.OnCreate != nil {
			return s.OnCreate(tx, p)
		}
		return nil
	})
	s.changed()
	return p, err
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// UpdateProject changes a project for an admin.
func (s *Service) UpdateProject(ctx context.Context, who access.Caller, id uint64, in ProjectInput) (Project, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Project{}, err
	}
	var p Project
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if p, err = GetProjectTx(tx, id); err != nil {
			return err
		}
		if err := in.apply(&p, false); err != nil {
			return err
		}
		return kv.Put(tx, projectKey(id), p)
	})
	s.changed()
	return p, err
}

var errNoProject = fault.NotFoundf("No such service project.")

// GetProjectTx reads a project.
func GetProjectTx(tx *kv.Tx, id uint64) (Project, error) {
	p, err := kv.Get[Project](tx, projectKey(id))
	if errors.Is(err, kv.ErrNotFound) {
		return p, errNoProject
	}
	return p, err
}

// Project reads a project without any access check: for the caller that
// has made its own decision.
func (s *Service) Project(ctx context.Context, id uint64) (Project, error) {
	var p Project
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) { p, err = GetProjectTx(tx, id); return err })
	return p, err
}

// ProjectByKey finds a project by its key, like IT.
func (s *Service) ProjectByKey(ctx context.Context, key string) (Project, error) {
	var p Project
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		v, err := tx.Get(keyProjectKey + strings.ToUpper(key))
		if errors.Is(err, kv.ErrNotFound) {
			return errNoProject
		}
		if err != nil {
			return err
		}
		id, _ := strconv.ParseUint(string(v), 10, 64)
		p, err = GetProjectTx(tx, id)
		return err
	})
	return p, err
}

// changed drops the cached project list after a write.
func (s *Service) changed() {
	s.pmu.Lock()
	s.gen++
	s.projects = nil
	s.pmu.Unlock()
}

// Projects lists every project in help-center order.
func (s *Service) Projects(ctx context.Context) ([]Project, error) {
	s.pmu.Lock()
	cached, gen := s.projects, s.gen
	s.pmu.Unlock()
	if cached != nil {
		return append([]Project(nil), cached...), nil
	}
	var out []Project
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return kv.Scan(tx, keyProject, func(_ string, p Project) error { out = append(out, p); return nil })
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return strings.ToLower(out[i].Title()) < strings.ToLower(out[j].Title())
	})
	s.pmu.Lock()
	if s.gen == gen && out != nil {
		s.projects = append([]Project(nil), out...)
	}
	s.pmu.Unlock()
	return out, nil
}

// ProjectIDByKeyTx finds a project's id by its key (IT).
func ProjectIDByKeyTx(tx *kv.Tx, key string) (uint64, error) {
	v, err := tx.Get(keyProjectKey + strings.ToUpper(key))
	if errors.Is(err, kv.ErrNotFound) {
		return 0, errNoProject
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(string(v), 10, 64)
}

// ProjectIDsTx calls fn with every project's id.
func ProjectIDsTx(tx *kv.Tx, fn func(id uint64) error) error {
	return kv.ScanIDs(tx, keyProject, fn)
}

// UsablePortal returns the project behind portal id if the caller may use
// it: the one place a portal is opened by id (its page, its logo, its
// request types and forms). An unknown id and an archived portal are both
// "not found", in the same words, so ids reveal nothing.
func (s *Service) UsablePortal(ctx context.Context, who access.Caller, id uint64) (Project, error) {
	site, err := s.Site(ctx)
	if err != nil {
		return Project{}, err
	}
	p, err := s.Project(ctx, id)
	if fault.KindOf(err) == fault.NotFound {
		return Project{}, access.ErrNoPortal
	}
	if err != nil {
		return Project{}, err
	}
	return p, access.SeePortal(site, p.Portal(), who).Err()
}

// UsableProjects lists, in help-center order, the projects whose portals
// the caller may use under site (archived ones never).
func (s *Service) UsableProjects(ctx context.Context, site access.Site, who access.Caller) ([]Project, error) {
	ps, err := s.Projects(ctx)
	if err != nil {
		return nil, err
	}
	var out []Project
	for _, p := range ps {
		if !p.Archived && access.PortalAllowed(site, p.Portal(), who) {
			out = append(out, p)
		}
	}
	return out, nil
}

package request

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

// IDs is a list of ids written as JSON strings (read from strings or numbers).
type IDs []uint64

func (ids IDs) MarshalJSON() ([]byte, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = u(id)
	}
	return json.Marshal(out)
}

func (ids *IDs) UnmarshalJSON(b []byte) error {
	var raw []json.Number
	if err := json.Unmarshal(b, &raw); err != nil {
		var strs []string
		if err2 := json.Unmarshal(b, &strs); err2 != nil {
			return errors.New("expected a list of ids")
		}
		raw = make([]json.Number, len(strs))
		for i, s := range strs {
			raw[i] = json.Number(s)
		}
	}
	*ids = make(IDs, 0, len(raw))
	for _, n := range raw {
		id, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil {
			return errors.New("expected a list of ids")
		}
		*ids = append(*ids, id)
	}
	return nil
}

// Group is a request type group: a tab on the portal.
type Group struct {
	ID      uint64 `json:"id,string"`
	Project uint64 `json:"projectId,string"`
	Name    string `json:"name"`
	Order   int    `json:"order"`
}

// FieldKind is what a field holds.
type FieldKind string

const (
	KindSummary     FieldKind = "summary"
	KindDescription FieldKind = "description"
	KindText        FieldKind = "text"
	KindParagraph   FieldKind = "paragraph"
	KindSelect      FieldKind = "select"
	KindMulti       FieldKind = "multiselect"
	KindDate        FieldKind = "date"
	KindNumber      FieldKind = "number"
	KindCheckbox    FieldKind = "checkbox"
	KindAttachment  FieldKind = "attachment"
)

// Field is one field of a request type's form.
type Field struct {
	ID       string    `json:"id"`
	Kind     FieldKind `json:"kind"`
	Label    string    `json:"label"`
	Help     string    `json:"help"`
	Required bool      `json:"required"`
	Hidden   bool      `json:"hidden"`
	Preset   any       `json:"preset,omitempty"`
	Options  []string  `json:"options,omitempty"`
}

// Audience narrows who may use a request type (empty: everyone who may use
// the portal).
type Audience struct {
	Orgs    IDs      `json:"organizations"`
	Domains []string `json:"domains"`
}

// MarshalJSON writes empty lists, not null.
func (a Audience) MarshalJSON() ([]byte, error) {
	type plain Audience
	if a.Domains == nil {
		a.Domains = []string{}
	}
	if a.Orgs == nil {
		a.Orgs = IDs{}
	}
	return json.Marshal(plain(a))
}

func (a Audience) access() access.Audience {
	return access.Audience{Orgs: a.Orgs, Domains: a.Domains}
}

// Icons a request type may show.
var Icons = []string{"help", "bug", "access", "hardware", "software", "question", "change", "purchase", "network", "mail"}

// Type is a request type: the form customers fill in.
type Type struct {
	ID          uint64   `json:"id,string"`
	Project     uint64   `json:"projectId,string"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	HelpText    string   `json:"helpText"`
	Icon        string   `json:"icon"`
	Groups      IDs      `json:"groupIds"`
	Order       int      `json:"order"`
	Fields      []Field  `json:"fields"`
	Audience    Audience `json:"audience"`
}

func (t Type) field(id string) (Field, bool) {
	for _, f := range t.Fields {
		if f.ID == id {
			return f, true
		}
	}
	return Field{}, false
}

// TypeInput creates or changes a request type; nil fields stay as they are.
type TypeInput struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	HelpText    *string   `json:"helpText"`
	Icon        *string   `json:"icon"`
	Groups      *IDs      `json:"groupIds"`
	Order       *int      `json:"order"`
	Fields      *[]Field  `json:"fields"`
	Audience    *Audience `json:"audience"`
}

func defaultFields() []Field {
	return []Field{
		{ID: "summary", Kind: KindSummary, Label: "Summary", Required: true},
		{ID: "description", Kind: KindDescription, Label: "Description"},
	}
}

func (in TypeInput) apply(tx *kv.Tx, t *Type) error {
	bad := map[string]string{}
	text := func(dst *string, v *string, field string, max int, required bool) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
		switch n := utf8.RuneCountInString(*dst); {
		case n == 0 && required:
			bad[field] = "Enter a name."
		case n > max:
			bad[field] = "Use at most " + strconv.Itoa(max) + " characters."
		case required && identity.CheckText(*dst) != "":
			bad[field] = identity.CheckText(*dst)
		}
	}
	text(&t.Name, in.Name, "name", 100, true)
	text(&t.Description, in.Description, "description", 500, false)
	text(&t.HelpText, in.HelpText, "helpText", 2000, false)
	if in.Icon != nil {
		t.Icon = *in.Icon
	}
	if t.Icon == "" {
		t.Icon = "help"
	}
	if !contains(Icons, t.Icon) {
		bad["icon"] = "Choose one of the icons offered."
	}
	if in.Order != nil {
		t.Order = *in.Order
	}
	if in.Groups != nil {
		t.Groups = nil
		for _, g := range *in.Groups {
			grp, err := kv.Get[Group](tx, keyGroup+u(g))
			if err != nil || grp.Project != t.Project {
				if err != nil && !errors.Is(err, kv.ErrNotFound) {
					return err
				}
				bad["groupIds"] = "One of the groups is not a group of this portal."
				continue
			}
			if !contains(t.Groups, g) {
				t.Groups = append(t.Groups, g)
			}
		}
	}
	if in.Audience != nil {
		a := Audience{}
		for _, o := range in.Audience.Orgs {
			ok, err := helpcenter.OrgAttachedTx(tx, t.Project, o)
			if err != nil {
				return err
			}
			if !ok {
				bad["audience"] = "Choose organizations attached to this project."
			}
			a.Orgs = append(a.Orgs, o)
		}
		for _, d := range in.Audience.Domains {
			nd, ok := helpcenter.NormalizeDomain(d)
			if !ok {
				bad["audience"] = d + " is not a domain name, like example.com."
				continue
			}
			a.Domains = append(a.Domains, nd)
		}
		t.Audience = a
	}
	if in.Fields != nil {
		// A copy: checking normalises fields in place, and this may run again.
		t.Fields = append([]Field(nil), (*in.Fields)...)
	}
	if t.Fields == nil {
		t.Fields = defaultFields()
	}
	checkFields(t.Fields, bad)
	if len(bad) > 0 {
		return fault.InvalidFields(bad)
	}
	return nil
}

func checkFields(fs []Field, bad map[string]string) {
	if len(fs) > 50 {
		bad["fields"] = "Use at most 50 fields."
		return
	}
	seen := map[string]bool{}
	hasSummary := false
	for i := range fs {
		f := &fs[i]
		key := "fields." + strconv.Itoa(i)
		f.Label, f.Help = strings.TrimSpace(f.Label), strings.TrimSpace(f.Help)
		switch f.Kind {
		case KindSummary:
			f.ID, f.Required, f.Hidden = "summary", true, false
			hasSummary = true
		case KindDescription:
			f.ID = "description"
		case KindText, KindParagraph, KindSelect, KindMulti, KindDate, KindNumber, KindCheckbox, KindAttachment:
		default:
			bad[key+".kind"] = "Choose a kind of field."
			continue
		}
		switch {
		case !idRE.MatchString(f.ID):
			bad[key+".id"] = "Use lower-case letters, digits and _ for a field id, starting with a letter."
		case seen[f.ID]:
			bad[key+".id"] = "Two fields have the id " + f.ID + "."
		}
		seen[f.ID] = true
		if msg := checkLabel(f.Label, 100); msg != "" {
			bad[key+".label"] = msg
		}
		if utf8.RuneCountInString(f.Help) > 500 {
			bad[key+".help"] = "Use at most 500 characters."
		}
		if f.Kind == KindSelect || f.Kind == KindMulti {
			opts := []string{}
			for _, o := range f.Options {
				if o = strings.TrimSpace(o); o != "" && !contains(opts, o) {
					opts = append(opts, o)
				}
			}
			f.Options = opts
			if len(opts) == 0 {
				bad[key+".options"] = "Give at least one option."
			} else if len(opts) > 100 {
				bad[key+".options"] = "Use at most 100 options."
			}
		} else {
			f.Options = nil
		}
		if f.Hidden {
			if f.Kind == KindAttachment || f.Kind == KindDescription {
				bad[key+".hidden"] = "Only custom fields can be hidden; the description and attachments are always the customer's."
				continue
			}
			v, msg := f.value(f.Preset)
			switch {
			case msg != "":
				bad[key+".preset"] = "The preset value: " + msg
			case v == nil && f.Required:
				bad[key+".preset"] = "A hidden required field needs a preset value."
			}
			f.Preset = v
		} else {
			f.Preset = nil
		}
	}
	if !hasSummary {
		bad["fields"] = "Every request type has a summary field."
	}
}

// value checks one value for the field and returns it normalised, or nil
// for "no value", with a message a person can act on.
func (f Field) value(raw any) (any, string) {
	if raw == nil {
		return nil, ""
	}
	switch f.Kind {
	case KindSummary, KindText:
		s, ok := raw.(string)
		if !ok {
			return nil, "Enter text."
		}
		s = strings.TrimSpace(s)
		if strings.ContainsAny(s, "\r\n") {
			return nil, "Use a single line."
		}
		if utf8.RuneCountInString(s) > 255 {
			return nil, "Use at most 255 characters."
		}
		if msg := identity.CheckText(s); msg != "" {
			return nil, msg
		}
		if s == "" {
			return nil, ""
		}
		return s, ""
	case KindDescription, KindParagraph:
		s, ok := raw.(string)
		if !ok {
			return nil, "Enter text."
		}
		s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
		if len(s) > 32<<10 {
			return nil, "Use at most 32,000 characters."
		}
		if !utf8.ValidString(s) {
			return nil, "The text is not valid UTF-8."
		}
		if s == "" {
			return nil, ""
		}
		return s, ""
	case KindSelect:
		s, ok := raw.(string)
		if !ok {
			return nil, "Choose one of the options."
		}
		if s == "" {
			return nil, ""
		}
		if !contains(f.Options, s) {
			return nil, "Choose one of the options."
		}
		return s, ""
	case KindMulti:
		list, ok := raw.([]any)
		if !ok {
			return nil, "Choose from the options."
		}
		out := []string{}
		for _, v := range list {
			s, ok := v.(string)
			if !ok || !contains(f.Options, s) {
				return nil, "Choose from the options."
			}
			if !contains(out, s) {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, ""
		}
		return out, ""
	case KindDate:
		s, ok := raw.(string)
		if !ok {
			return nil, "Enter a date like 2026-12-31."
		}
		if s == "" {
			return nil, ""
		}
		if !validDate(s) {
			return nil, "Enter a date like 2026-12-31."
		}
		return s, ""
	case KindNumber:
		var n float64
		switch v := raw.(type) {
		case float64:
			n = v
		case string:
			if strings.TrimSpace(v) == "" {
				return nil, ""
			}
			var err error
			if n, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				return nil, "Enter a number."
			}
		default:
			return nil, "Enter a number."
		}
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, "Enter a number."
		}
		return n, ""
	case KindCheckbox:
		b, ok := raw.(bool)
		if !ok {
			return nil, "Tick the box or leave it."
		}
		return b, ""
	}
	return nil, "This field cannot hold a value."
}

func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func typesOfTx(tx *kv.Tx, project uint64) ([]Type, []Group, error) {
	var types []Type
	var groups []Group
	err := kv.ScanIDs(tx, keyProjectType+u(project)+"/", func(id uint64) error {
		t, err := kv.Get[Type](tx, keyType+u(id))
		if err == nil {
			types = append(types, t)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	err = kv.ScanIDs(tx, keyProjectGroup+u(project)+"/", func(id uint64) error {
		g, err := kv.Get[Group](tx, keyGroup+u(id))
		if err == nil {
			groups = append(groups, g)
		}
		return err
	})
	sort.SliceStable(types, func(i, j int) bool {
		if types[i].Order != types[j].Order {
			return types[i].Order < types[j].Order
		}
		return types[i].ID < types[j].ID
	})
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Order != groups[j].Order {
			return groups[i].Order < groups[j].Order
		}
		return groups[i].ID < groups[j].ID
	})
	return types, groups, err
}

// Catalogue is a portal's request types and groups.
type Catalogue struct {
	Groups []Group `json:"groups"`
	Types  []Type  `json:"types"`
}

// ProjectTypes lists every request type and group of a project, for staff.
func (s *Service) ProjectTypes(ctx context.Context, who access.Caller, project uint64) (Catalogue, error) {
	if err := access.WorkProject(who, project).Err(); err != nil {
		return Catalogue{}, err
	}
	var c Catalogue
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) {
		if _, err := s.project(tx, project); err != nil {
			return err
		}
		c.Types, c.Groups, err = typesOfTx(tx, project)
		return err
	})
	if c.Types == nil {
		c.Types = []Type{}
	}
	if c.Groups == nil {
		c.Groups = []Group{}
	}
	return c, err
}

// customerType is a request type as the portal shows it: no hidden fields,
// no presets, no audience.
func customerType(t Type) Type {
	out := t
	out.Fields = nil
	for _, f := range t.Fields {
		if !f.Hidden {
			f.Preset = nil
			out.Fields = append(out.Fields, f)
		}
	}
	out.Audience = Audience{}
	return out
}

// PortalTypes lists what the caller may raise in a portal: types in at
// least one group whose audience includes the caller. Staff see what a
// customer sees here; the console lists everything.
func (s *Service) PortalTypes(ctx context.Context, who access.Caller, portal uint64) (Catalogue, error) {
	if _, err := s.hc.UsablePortal(ctx, who, portal); err != nil {
		return Catalogue{}, err
	}
	c := Catalogue{Groups: []Group{}, Types: []Type{}}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		types, groups, err := typesOfTx(tx, portal)
		if err != nil {
			return err
		}
		used := map[uint64]bool{}
		for _, t := range types {
			if len(t.Groups) == 0 || !access.UseRequestType(who, portal, t.Audience.access()) {
				continue
			}
			for _, g := range t.Groups {
				used[g] = true
			}
			c.Types = append(c.Types, customerType(t))
		}
		for _, g := range groups {
			if used[g.ID] {
				c.Groups = append(c.Groups, g)
			}
		}
		return nil
	})
	return c, err
}

// CreateType adds a request type to a project; admins only.
func (s *Service) CreateType(ctx context.Context, who access.Caller, project uint64, in TypeInput) (Type, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Type{}, err
	}
	var t Type
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if _, err := s.project(tx, project); err != nil {
			return err
		}
		t = Type{Project: project}
		types, _, err := typesOfTx(tx, project)
		if err != nil {
			return err
		}
		if len(types) >= 500 {
			return fault.Invalidf("A project has at most 500 request types.")
		}
		for _, o := range types {
			t.Order = max(t.Order, o.Order+1)
		}
		if err := in.apply(tx, &t); err != nil {
			return err
		}
		if t.ID, err = tx.Next(seqType); err != nil {
			return err
		}
		if err := tx.Set(keyProjectType+u(project)+"/"+u(t.ID), nil); err != nil {
			return err
		}
		return kv.Put(tx, keyType+u(t.ID), t)
	})
	return t, err
}

// UpdateType changes a request type; admins only.
func (s *Service) UpdateType(ctx context.Context, who access.Caller, id uint64, in TypeInput) (Type, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Type{}, err
	}
	var t Type
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if t, err = getType(tx, id); err != nil {
			return err
		}
		return firstErr(in.apply(tx, &t), func() error { return kv.Put(tx, keyType+u(id), t) })
	})
	return t, err
}

func firstErr(err error, then func() error) error {
	if err != nil {
		return err
	}
	return then()
}

var errNoType = fault.NotFoundf("There is no such request type.")

func getType(tx *kv.Tx, id uint64) (Type, error) {
	t, err := kv.Get[Type](tx, keyType+u(id))
	if errors.Is(err, kv.ErrNotFound) {
		return t, errNoType
	}
	return t, err
}

// DeleteType removes a request type that no request uses; admins only.
func (s *Service) DeleteType(ctx context.Context, who access.Caller, id uint64) error {
	if err := access.ManageSite(who).Err(); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		t, err := getType(tx, id)
		if err != nil {
			return err
		}
		used := false
		if err := tx.Scan(keyTypeUse+u(id)+"/", func(string, func() ([]byte, error)) error { used = true; return kv.ErrStop }); err != nil {
			return err
		}
		if used {
			return fault.Conflictf("Requests use %s: take it out of every group to hide it from the portal instead.", t.Name)
		}
		if err := tx.Delete(keyProjectType + u(t.Project) + "/" + u(id)); err != nil {
			return err
		}
		return tx.Delete(keyType + u(id))
	})
}

// GroupInput creates or changes a group.
type GroupInput struct {
	Name  *string `json:"name"`
	Order *int    `json:"order"`
}

func (in GroupInput) apply(g *Group) error {
	if in.Name != nil {
		g.Name = strings.TrimSpace(*in.Name)
	}
	if in.Order != nil {
		g.Order = *in.Order
	}
	if msg := checkLabel(g.Name, 60); msg != "" {
		return fault.InvalidFields(map[string]string{"name": msg})
	}
	return nil
}

// CreateGroup adds a request type group; admins only.
func (s *Service) CreateGroup(ctx context.Context, who access.Caller, project uint64, in GroupInput) (Group, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Group{}, err
	}
	var g Group
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if _, err := s.project(tx, project); err != nil {
			return err
		}
		_, groups, err := typesOfTx(tx, project)
		if err != nil {
			return err
		}
		if len(groups) >= 100 {
			return fault.Invalidf("A portal has at most 100 groups.")
		}
		g = Group{Project: project}
		for _, o := range groups {
			g.Order = max(g.Order, o.Order+1)
		}
		if err := in.apply(&g); err != nil {
			return err
		}
		if g.ID, err = tx.Next(seqGroup); err != nil {
			return err
		}
		if err := tx.Set(keyProjectGroup+u(project)+"/"+u(g.ID), nil); err != nil {
			return err
		}
		return kv.Put(tx, keyGroup+u(g.ID), g)
	})
	return g, err
}

var errNoGroup = fault.NotFoundf("There is no such group.")

// UpdateGroup renames or reorders a group; admins only.
func (s *Service) UpdateGroup(ctx context.Context, who access.Caller, id uint64, in GroupInput) (Group, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Group{}, err
	}
	var g Group
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		g, err = kv.Get[Group](tx, keyGroup+u(id))
		if errors.Is(err, kv.ErrNotFound) {
			return errNoGroup
		}
		if err != nil {
			return err
		}
		return firstErr(in.apply(&g), func() error { return kv.Put(tx, keyGroup+u(id), g) })
	})
	return g, err
}

// DeleteGroup removes a group; its types stay, in their other groups.
func (s *Service) DeleteGroup(ctx context.Context, who access.Caller, id uint64) error {
	if err := access.ManageSite(who).Err(); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		g, err := kv.Get[Group](tx, keyGroup+u(id))
		if errors.Is(err, kv.ErrNotFound) {
			return errNoGroup
		}
		if err != nil {
			return err
		}
		types, _, err := typesOfTx(tx, g.Project)
		if err != nil {
			return err
		}
		for _, t := range types {
			if contains(t.Groups, id) {
				t.Groups = without(t.Groups, id)
				if err := kv.Put(tx, keyType+u(t.ID), t); err != nil {
					return err
				}
			}
		}
		if err := tx.Delete(keyProjectGroup + u(g.Project) + "/" + u(id)); err != nil {
			return err
		}
		return tx.Delete(keyGroup + u(id))
	})
}

const keySeeded = "rq/seeded/" // rq/seeded/<project> → empty: given its first catalogue

// SeedMissing gives every project that never had a catalogue one: data
// directories from before request types existed.
func (s *Service) SeedMissing(ctx context.Context) error {
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		var ids []uint64
		if err := helpcenter.ProjectIDsTx(tx, func(id uint64) error { ids = append(ids, id); return nil }); err != nil {
			return err
		}
		for _, id := range ids {
			if ok, err := tx.Has(keySeeded + u(id)); err != nil || ok {
				if err != nil {
					return err
				}
				continue
			}
			if err := SeedTx(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// SeedTx gives a new project a group and two request types, so its portal
// works at once (JSM's "Get IT help" / "Request a new account").
func SeedTx(tx *kv.Tx, project uint64) error {
	if err := tx.Set(keySeeded+u(project), nil); err != nil {
		return err
	}
	gid, err := tx.Next(seqGroup)
	if err != nil {
		return err
	}
	g := Group{ID: gid, Project: project, Name: "General", Order: 0}
	if err := tx.Set(keyProjectGroup+u(project)+"/"+u(gid), nil); err != nil {
		return err
	}
	if err := kv.Put(tx, keyGroup+u(gid), g); err != nil {
		return err
	}
	types := []Type{
		{Name: "Get help", Description: "Ask a question or report a problem.", Icon: "help", Fields: defaultFields()},
		{Name: "Request access", Description: "Ask for an account or access to a system.", Icon: "access", Fields: []Field{
			{ID: "summary", Kind: KindSummary, Label: "What do you need access to?", Required: true},
			{ID: "description", Kind: KindDescription, Label: "Why do you need it?"},
		}},
	}
	for i, t := range types {
		t.Project, t.Groups, t.Order = project, IDs{gid}, i
		if t.ID, err = tx.Next(seqType); err != nil {
			return err
		}
		if err := tx.Set(keyProjectType+u(project)+"/"+u(t.ID), nil); err != nil {
			return err
		}
		if err := kv.Put(tx, keyType+u(t.ID), t); err != nil {
			return err
		}
	}
	return nil
}

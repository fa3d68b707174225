package kb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/fulltext"
	"portico/backend/kv"
)

// remark queues for the index every article of project (in category, if
// not 0) whose effective "Who can view" may just have changed: it is part
// of their index entry.
func remark(tx *kv.Tx, project, category uint64) error {
	return articlesTx(tx, project, func(a Article) error {
		if category != 0 && a.Category != category {
			return nil
		}
		return fulltext.Mark(tx, IndexName, a.ID)
	})
}

// SpaceInput changes a space's settings.
type SpaceInput struct {
	View *ViewInput `json:"view"`
}

// UpdateSpace sets project's "Who can view".
func (s *Service) UpdateSpace(ctx context.Context, who access.Caller, project uint64, in SpaceInput) (SpaceView, error) {
	if _, err := s.staffOf(ctx, who, project); err != nil {
		return SpaceView{}, err
	}
	err := s.write(ctx, func(tx *kv.Tx) error {
		sp, err := spaceTx(tx, project)
		if err != nil {
			return err
		}
		bad := map[string]string{}
		if in.View == nil {
			bad["view"] = "Choose who can view the knowledge base."
		} else {
			sp.View = rule(tx, in.View, false, bad)
		}
		if len(bad) > 0 {
			return fault.InvalidFields(bad)
		}
		if err := kv.Put(tx, keySpace+u(project), sp); err != nil {
			return err
		}
		return remark(tx, project, 0)
	})
	if err != nil {
		return SpaceView{}, err
	}
	return s.Space(ctx, who, project)
}

// CategoryInput is a new category or a change to one.
type CategoryInput struct {
	Name        *string    `json:"name"`
	Description *string    `json:"description"`
	View        *ViewInput `json:"view"`
	// Order is the category's new 0-based place among the space's.
	Order *int `json:"order"`
}

func (in CategoryInput) apply(tx *kv.Tx, c *Category, creating bool) (viewChanged bool, err error) {
	bad := map[string]string{}
	if in.Name != nil || creating {
		name := ""
		if in.Name != nil {
			name = strings.Join(strings.Fields(*in.Name), " ")
		}
		switch n := utf8.RuneCountInString(name); {
		case n == 0:
			bad["name"] = "Give the category a name."
		case n > maxCategory:
			bad["name"] = fmt.Sprintf("Keep the name under %d characters.", maxCategory)
		}
		c.Name = name
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		if utf8.RuneCountInString(d) > 500 {
			bad["description"] = "Keep the description under 500 characters."
		}
		c.Description = d
	}
	if in.View != nil {
		c.View, viewChanged = rule(tx, in.View, true, bad), true
	} else if creating {
		c.View = access.ViewRule{Mode: access.ViewInherit}
	}
	if len(bad) > 0 {
		return false, fault.InvalidFields(bad)
	}
	return viewChanged, nil
}

// CreateCategory adds a category at the end of project's list.
func (s *Service) CreateCategory(ctx context.Context, who access.Caller, project uint64, in CategoryInput) (CategoryView, error) {
	if _, err := s.staffOf(ctx, who, project); err != nil {
		return CategoryView{}, err
	}
	var out CategoryView
	err := s.write(ctx, func(tx *kv.Tx) error {
		c := Category{Project: project}
		if _, err := in.apply(tx, &c, true); err != nil {
			return err
		}
		cs, err := categoriesTx(tx, project)
		if err != nil {
			return err
		}
		if len(cs) >= 200 {
			return fault.Invalidf("A knowledge base holds at most 200 categories.")
		}
		for _, o := range cs {
			if strings.EqualFold(o.Name, c.Name) {
				return fault.InvalidFields(map[string]string{"name": "There is already a category with this name."})
			}
		}
		if c.ID, err = tx.Next(seqCategory); err != nil {
			return err
		}
		c.Order = len(cs)
		if err := kv.Put(tx, keyCategory+u(c.ID), c); err != nil {
			return err
		}
		out = CategoryView{ID: c.ID, Name: c.Name, Description: c.Description, Order: c.Order, View: ruleView(tx, c.View)}
		return tx.Set(keyProjectCategory+u(project)+"/"+u(c.ID), nil)
	})
	return out, err
}

// category loads category id for its project's staff.
func (s *Service) category(tx *kv.Tx, who access.Caller, id uint64) (Category, error) {
	c, err := kv.Get[Category](tx, keyCategory+u(id))
	if errors.Is(err, kv.ErrNotFound) {
		return c, fault.NotFoundf("There is no such category.")
	}
	if err != nil {
		return c, err
	}
	if err := access.EditArticles(who, c.Project).Err(); err != nil {
		return c, fault.NotFoundf("There is no such category.")
	}
	return c, nil
}

// UpdateCategory renames, describes, re-rules or moves a category.
func (s *Service) UpdateCategory(ctx context.Context, who access.Caller, id uint64, in CategoryInput) (CategoryView, error) {
	var out CategoryView
	err := s.write(ctx, func(tx *kv.Tx) error {
		c, err := s.category(tx, who, id)
		if err != nil {
			return err
		}
		changed, err := in.apply(tx, &c, false)
		if err != nil {
			return err
		}
		cs, err := categoriesTx(tx, c.Project)
		if err != nil {
			return err
		}
		for _, o := range cs {
			if o.ID != c.ID && strings.EqualFold(o.Name, c.Name) {
				return fault.InvalidFields(map[string]string{"name": "There is already a category with this name."})
			}
		}
		if in.Order != nil {
			to := max(0, min(*in.Order, len(cs)-1))
			var rest []Category
			for _, o := range cs {
				if o.ID != c.ID {
					rest = append(rest, o)
				}
			}
			rest = append(rest[:to], append([]Category{c}, rest[to:]...)...)
			for i := range rest {
				if rest[i].ID == c.ID {
					c.Order = i
					continue
				}
				if rest[i].Order != i {
					rest[i].Order = i
					if err := kv.Put(tx, keyCategory+u(rest[i].ID), rest[i]); err != nil {
						return err
					}
				}
			}
		}
		if err := kv.Put(tx, keyCategory+u(c.ID), c); err != nil {
			return err
		}
		if changed {
			if err := remark(tx, c.Project, c.ID); err != nil {
				return err
			}
		}
		out = CategoryView{ID: c.ID, Name: c.Name, Description: c.Description, Order: c.Order, View: ruleView(tx, c.View)}
		return nil
	})
	return out, err
}

// DeleteCategory removes a category; its articles stay, uncategorized.
func (s *Service) DeleteCategory(ctx context.Context, who access.Caller, id uint64) error {
	return s.write(ctx, func(tx *kv.Tx) error {
		c, err := s.category(tx, who, id)
		if err != nil {
			return err
		}
		err = articlesTx(tx, c.Project, func(a Article) error {
			if a.Category != c.ID {
				return nil
			}
			a.Category = 0
			if err := kv.Put(tx, keyArticle+u(a.ID), a); err != nil {
				return err
			}
			return fulltext.Mark(tx, IndexName, a.ID)
		})
		if err != nil {
			return err
		}
		if err := tx.Delete(keyCategory + u(id)); err != nil {
			return err
		}
		return tx.Delete(keyProjectCategory + u(c.Project) + "/" + u(id))
	})
}

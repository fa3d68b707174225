package kb

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/kv"
)

// ImportFile is one Markdown file of a folder being imported.
type ImportFile struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// ImportInput is one batch of an import.
type ImportInput struct {
	Files  []ImportFile `json:"files"`
	Status string       `json:"status"`
}

// ImportResult says what each file became.
type ImportResult struct {
	Created []Imported     `json:"created"`
	Failed  []ImportFailed `json:"failed"`
}

// Imported is an article made from a file.
type Imported struct {
	ID    uint64 `json:"id,string"`
	Title string `json:"title"`
	Path  string `json:"path"`
}

// ImportFailed is a file that could not be imported, and why.
type ImportFailed struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

const maxImportBatch = 50

// frontMatter splits "---\nkey: value\n---\n" from the top of a Markdown
// file. Only the keys Portico uses are read: title, labels, category,
// status; values are plain or a [a, b] / "- a" list.
func frontMatter(src string) (map[string][]string, string) {
	src = strings.TrimPrefix(strings.ReplaceAll(src, "\r\n", "\n"), "\uFEFF")
	if !strings.HasPrefix(src, "---\n") {
		return nil, src
	}
	end := strings.Index(src[4:], "\n---")
	if end < 0 {
		return nil, src
	}
	head, body := src[4:4+end], src[4+end+4:]
	body = strings.TrimPrefix(strings.TrimLeft(body, "-"), "\n")
	out := map[string][]string{}
	last := ""
	for _, line := range strings.Split(head, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "- ") && last != "" {
			out[last] = append(out[last], unquote(t[2:]))
			continue
		}
		k, v, ok := strings.Cut(t, ":")
		if !ok {
			continue
		}
		last = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			out[last] = nil
		case strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]"):
			for _, p := range strings.Split(v[1:len(v)-1], ",") {
				if p = unquote(p); p != "" {
					out[last] = append(out[last], p)
				}
			}
		default:
			out[last] = []string{unquote(v)}
		}
	}
	return out, body
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = s[1 : len(s)-1]
	}
	return strings.TrimSpace(s)
}

// titleOf takes the article's title from front matter, else its first
// "# " heading (removed from the body), else the file name.
func titleOf(fm map[string][]string, body, p string) (string, string) {
	if t := fm["title"]; len(t) > 0 && t[0] != "" {
		return t[0], body
	}
	trimmed := strings.TrimLeft(body, "\n")
	if strings.HasPrefix(trimmed, "# ") {
		line, rest, _ := strings.Cut(trimmed, "\n")
		return strings.TrimSpace(line[2:]), strings.TrimLeft(rest, "\n")
	}
	name := strings.TrimSuffix(path.Base(p), path.Ext(p))
	name = strings.NewReplacer("-", " ", "_", " ").Replace(name)
	return name, body
}

// categoryOf is the front matter's category, else the file's folder below
// the imported one ("Guides/Printers/x.md" → "Printers").
func categoryOf(fm map[string][]string, p string) string {
	if c := fm["category"]; len(c) > 0 {
		return c[0]
	}
	parts := strings.Split(strings.Trim(path.Clean("/"+strings.ReplaceAll(p, "\\", "/")), "/"), "/")
	if len(parts) >= 3 {
		return parts[len(parts)-2]
	}
	return ""
}

// Import makes articles from a batch of Markdown files, each in its own
// transaction: a bad file fails alone, with its reason.
func (s *Service) Import(ctx context.Context, who access.Caller, project uint64, in ImportInput) (ImportResult, error) {
	if _, err := s.staffOf(ctx, who, project); err != nil {
		return ImportResult{}, err
	}
	if len(in.Files) == 0 {
		return ImportResult{}, fault.InvalidFields(map[string]string{"files": "Choose Markdown files to import."})
	}
	if len(in.Files) > maxImportBatch {
		return ImportResult{}, fault.InvalidFields(map[string]string{"files": fmt.Sprintf("Send at most %d files at a time.", maxImportBatch)})
	}
	status := in.Status
	if status == "" {
		status = Draft
	}
	if status != Draft && status != Published {
		return ImportResult{}, fault.InvalidFields(map[string]string{"status": "Import as drafts or published."})
	}
	out := ImportResult{Created: []Imported{}, Failed: []ImportFailed{}}
	for _, f := range in.Files {
		fm, body := frontMatter(f.Content)
		title, body := titleOf(fm, body, f.Path)
		st := status
		if v := fm["status"]; len(v) > 0 && (v[0] == Draft || v[0] == Published) {
			st = v[0]
		}
		labels := fm["labels"]
		if len(labels) == 0 {
			labels = fm["tags"]
		}
		in := ArticleInput{Title: &title, Body: &body, Labels: &labels, Status: &st}
		cat := categoryOf(fm, f.Path)
		var id uint64
		err := s.write(ctx, func(tx *kv.Tx) (err error) {
			id, err = s.newArticle(tx, who, project, in, cat)
			return err
		})
		if err != nil {
			fe := fault.As(err)
			if fe == nil || fe.Kind != fault.Invalid {
				return out, err
			}
			msg := fe.Message
			for _, m := range fe.Fields {
				msg = m
				break
			}
			out.Failed = append(out.Failed, ImportFailed{Path: f.Path, Message: msg})
			continue
		}
		out.Created = append(out.Created, Imported{ID: id, Title: title, Path: f.Path})
	}
	return out, nil
}

// categoryNamed finds project's category called name, or adds it.
func (s *Service) categoryNamed(tx *kv.Tx, project uint64, name string) (uint64, error) {
	name = strings.Join(strings.Fields(name), " ")
	if len([]rune(name)) > maxCategory {
		name = string([]rune(name)[:maxCategory])
	}
	cs, err := categoriesTx(tx, project)
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		if strings.EqualFold(c.Name, name) {
			return c.ID, nil
		}
	}
	c := Category{Project: project, Name: name, Order: len(cs), View: access.ViewRule{Mode: access.ViewInherit}}
	if c.ID, err = tx.Next(seqCategory); err != nil {
		return 0, err
	}
	if err := kv.Put(tx, keyCategory+u(c.ID), c); err != nil {
		return 0, err
	}
	return c.ID, tx.Set(keyProjectCategory+u(project)+"/"+u(c.ID), nil)
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() > 60 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		out = "article"
	}
	return out
}

func yamlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ").Replace(s) + `"`
}

// Export writes project's knowledge base as a zip: one Markdown file per
// article with its front matter, in a folder per category, and the files
// articles link to under files/. Import reads it back.
func (s *Service) Export(ctx context.Context, who access.Caller, project uint64, w io.Writer) error {
	if _, err := s.staffOf(ctx, who, project); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		used := map[string]bool{}
		return articlesTx(tx, project, func(a Article) error {
			dir := "Uncategorized"
			if c := categoryRef(tx, a.Category); c != nil {
				dir = strings.NewReplacer("/", "-", "\\", "-").Replace(c.Name)
			}
			name := dir + "/" + slug(a.Title) + ".md"
			for i := 2; used[name]; i++ {
				name = fmt.Sprintf("%s/%s-%d.md", dir, slug(a.Title), i)
			}
			used[name] = true
			fw, err := zw.Create("kb/" + name)
			if err != nil {
				return err
			}
			var labels []string
			for _, l := range a.Labels {
				labels = append(labels, yamlString(l))
			}
			cat := ""
			if dir != "Uncategorized" {
				cat = "category: " + yamlString(dir) + "\n"
			}
			fmt.Fprintf(fw, "---\ntitle: %s\nlabels: [%s]\n%sstatus: %s\n---\n\n%s\n", yamlString(a.Title),
				strings.Join(labels, ", "), cat, a.Status, a.Body)
			files, err := filesOf(tx, a.ID)
			if err != nil {
				return err
			}
			for _, f := range files {
				data, err := tx.Get(keyBlob + u(f.ID))
				if err != nil {
					return err
				}
				fw, err := zw.Create(fmt.Sprintf("kb/files/%d-%s", f.ID, strings.ReplaceAll(f.Name, "/", "-")))
				if err != nil {
					return err
				}
				if _, err := fw.Write(data); err != nil {
					return err
				}
			}
			return ctx.Err()
		})
	})
	if err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

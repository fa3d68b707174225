// Package relevance measures how well knowledge-base search ranks answers,
// on a judged query set over a corpus built from the Go standard library's
// own documentation, which every machine that builds Portico has in GOROOT.
package relevance

import (
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Doc is one knowledge-base article.
type Doc struct {
	ID     string // "strings.TrimSpace", "net/http.Client.Do" or "pkg:net/url"
	Title  string
	Body   string
	Labels []string // the package path
}

// packages are the standard-library packages the corpus is drawn from.
var packages = []string{
	"archive/zip", "bufio", "bytes", "compress/gzip", "context",
	"crypto/rand", "crypto/sha256", "encoding/base64", "encoding/csv", "encoding/json",
	"errors", "flag", "fmt", "hash/crc32", "html/template",
	"io", "log/slog", "maps", "math", "math/rand/v2",
	"mime/multipart", "net", "net/http", "net/url", "os",
	"os/exec", "path/filepath", "regexp", "slices", "sort",
	"strconv", "strings", "sync", "text/template", "time",
	"unicode/utf8",
}

const (
	// minDocLen drops stubs such as "Add returns the time t+d." but keeps
	// one-sentence answers such as strings.Contains (44 characters).
	minDocLen = 40
	// perPackage keeps a large package (net has 180 documented APIs) from
	// outnumbering the small ones.
	perPackage = 17
)

// GoDocs returns the corpus: for each package an overview article and its
// perPackage most used documented functions, types and methods. The order
// is deterministic for a given GOROOT.
//
// The articles that the query set judges relevant are always kept: usage
// counts shift a little from one Go release to the next, and must not drop
// an answer the judgments rely on. On the release the judgments were
// written against (go1.26.8), they were all among the most used anyway.
func GoDocs() ([]Doc, error) {
	judged := map[string]bool{}
	for _, q := range Queries() {
		for _, id := range q.Relevant {
			judged[id] = true
		}
	}
	root, err := goroot()
	if err != nil {
		return nil, err
	}
	// A fixed platform makes every machine pick the same files.
	ctx := build.Default
	ctx.GOROOT = root
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "amd64", false
	var (
		pkgs  []*pkgDocs
		names = map[string]bool{}
		uses  = map[string]int{}
	)
	for _, path := range packages {
		p, err := parse(&ctx, path)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
		names[p.p.Name] = true
		for _, c := range p.items {
			uses[c.key] = 0
		}
	}
	decls := map[string]int{}
	if err := countUses(filepath.Join(root, "src"), names, uses, decls); err != nil {
		return nil, err
	}
	var docs []Doc
	for _, p := range pkgs {
		docs = append(docs, p.overview)
		items := p.items
		for i := range items {
			items[i].uses = uses[items[i].key] / max(1, decls[items[i].key])
		}
		slices.SortStableFunc(items, func(a, b item) int {
			if judged[a.ID] != judged[b.ID] {
				if judged[a.ID] {
					return -1
				}
				return 1
			}
			return b.score() - a.score()
		})
		items = items[:min(len(items), perPackage)]
		slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.ID, b.ID) })
		for _, it := range items {
			docs = append(docs, it.Doc)
		}
	}
	return docs, nil
}

func goroot() (string, error) {
	for _, r := range []string{os.Getenv("GOROOT"), build.Default.GOROOT} {
		if r != "" {
			if _, err := os.Stat(filepath.Join(r, "src", "strings")); err == nil {
				return r, nil
			}
		}
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("relevance: cannot find GOROOT: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

type pkgDocs struct {
	p        *doc.Package
	overview Doc
	items    []item // candidates, in go/doc's order
}

type item struct {
	Doc
	key     string // what countUses looks for: "strings.TrimSpace", or ".Format" for a method
	example bool
	uses    int
}

// score ranks the candidates of a package. An example is taken as the
// package authors' word that an API is worth showing.
func (it item) score() int {
	if it.example {
		return 2 * it.uses
	}
	return it.uses
}

func parse(ctx *build.Context, path string) (*pkgDocs, error) {
	dir := filepath.Join(ctx.GOROOT, "src", filepath.FromSlash(path))
	bp, err := ctx.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("relevance: %s: %w", path, err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("relevance: %s: %w", path, err)
		}
		files = append(files, f)
	}
	// Examples, which go/doc ties to what they illustrate, tell what the
	// package's authors thought worth showing.
	for _, name := range append(bp.TestGoFiles, bp.XTestGoFiles...) {
		if strings.HasPrefix(name, "example") {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
			if err != nil {
				return nil, fmt.Errorf("relevance: %s: %w", path, err)
			}
			files = append(files, f)
		}
	}
	p, err := doc.NewFromFiles(fset, files, path)
	if err != nil {
		return nil, fmt.Errorf("relevance: %s: %w", path, err)
	}
	pd := &pkgDocs{p: p, overview: Doc{
		ID:     "pkg:" + path,
		Title:  "Package " + path,
		Body:   docText(p, p.Doc),
		Labels: []string{path},
	}}
	add := func(id, title, key, comment string, decl ast.Node, examples []*doc.Example) {
		text := docText(p, comment)
		if len(text) < minDocLen || deprecated(text) {
			return
		}
		var sig bytes.Buffer
		if err := printer.Fprint(&sig, fset, decl); err != nil {
			return
		}
		pd.items = append(pd.items, item{
			Doc: Doc{ID: id, Title: title, Body: text + "\n\n" + sig.String(), Labels: []string{path}},
			key: key, example: len(examples) > 0,
		})
	}
	fn := func(f *doc.Func) {
		add(path+"."+f.Name, f.Name+" ("+path+")", p.Name+"."+f.Name, f.Doc, f.Decl, f.Examples)
	}
	for _, f := range p.Funcs {
		fn(f)
	}
	for _, t := range p.Types {
		add(path+"."+t.Name, t.Name+" ("+path+")", p.Name+"."+t.Name, t.Doc, t.Decl, t.Examples)
		for _, f := range t.Funcs {
			fn(f)
		}
		for _, m := range t.Methods {
			add(path+"."+t.Name+"."+m.Name, t.Name+"."+m.Name+" ("+path+")", "."+m.Name, m.Doc, m.Decl, m.Examples)
		}
	}
	return pd, nil
}

func docText(p *doc.Package, s string) string {
	pr := &comment.Printer{TextWidth: -1}
	return strings.TrimSpace(string(pr.Text(p.Parser().Parse(s))))
}

func deprecated(text string) bool {
	return strings.HasPrefix(text, "Deprecated:") || strings.Contains(text, "\nDeprecated:")
}

// countUses adds to uses[key], for the keys already in it, how often the Go
// source tree mentions "pkg.Name" (pkg in names, imported by the file) or,
// for a method, ".Name" after anything but an imported package: a measure
// of how commonly an API is used, which picks what a package keeps. A text
// scan is used because type-checking the whole tree would take far too
// long. It cannot tell which type a selector belongs to, so it also counts
// in decls[".Name"] the methods declared with that name, among which GoDocs
// shares the uses.
func countUses(src string, names map[string]bool, uses, decls map[string]int) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		imported := map[string]bool{}
		if f, err := parser.ParseFile(token.NewFileSet(), path, b, parser.ImportsOnly); err == nil {
			for _, imp := range f.Imports {
				name := strings.Trim(imp.Path.Value, `"`)
				if i := strings.LastIndex(name, "/v"); i > 0 && strings.Trim(name[i+2:], "0123456789") == "" {
					name = name[:i]
				}
				name = name[strings.LastIndex(name, "/")+1:]
				if imp.Name != nil {
					name = imp.Name.Name
				}
				imported[name] = true
			}
		}
		for rest := b; ; {
			i := bytes.Index(rest, []byte("\nfunc ("))
			if i < 0 {
				break
			}
			rest = rest[i+len("\nfunc ("):]
			line, _, _ := bytes.Cut(rest, []byte("\n"))
			if _, sig, ok := bytes.Cut(line, []byte(") ")); ok {
				name, _, _ := bytes.Cut(sig, []byte("("))
				key := "." + string(name)
				if _, ok := uses[key]; ok {
					decls[key]++
				}
			}
		}
		for i := 0; ; {
			j := bytes.IndexByte(b[i:], '.')
			if j < 0 {
				break
			}
			j += i
			i = j + 1
			s, e := j, j+1
			for s > 0 && isIdent(b[s-1]) {
				s--
			}
			for e < len(b) && isIdent(b[e]) {
				e++
			}
			if e == j+1 {
				continue
			}
			key := b[j:e]
			if s < j && (s == 0 || b[s-1] != '.') && imported[string(b[s:j])] {
				if !names[string(b[s:j])] {
					continue
				}
				key = b[s:e]
			}
			if _, ok := uses[string(key)]; ok {
				uses[string(key)]++
			}
		}
		return nil
	})
}

func isIdent(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

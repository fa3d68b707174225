package kb

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"portico/backend/helpcenter"
)

var parser = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// render is an article's HTML: helpcenter's Markdown rules (raw HTML
// escaped, then bluemonday), cached by source for the most read articles.
func render(src string) string {
	if len(src) < 64<<10 {
		return helpcenter.RenderMarkdown(src)
	}
	return helpcenter.RenderMarkdownUncached(src)
}

// plainText is what a reader sees of Markdown, without its markup: the
// words to index and to quote in excerpts. Raw HTML is left out.
func plainText(src string) string {
	source := []byte(src)
	doc := parser.Parse(text.NewReader(source))
	var b strings.Builder
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			if n.Type() == ast.TypeBlock && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
				b.WriteByte('\n')
			}
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			b.Write(n.Segment.Value(source))
			if n.SoftLineBreak() || n.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(n.Value)
		case *ast.AutoLink:
			b.Write(n.Label(source))
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			lines := n.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				b.Write(seg.Value(source))
			}
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

const excerptLen = 200

// opening is the first n characters of text, cut at a word, one line.
func opening(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)[:n]
	cut := strings.LastIndexFunc(string(r), unicode.IsSpace)
	if cut < n/2 {
		cut = len(string(r))
	}
	return strings.TrimRight(string(r)[:cut], " ,.;:") + "…"
}

// Markers around highlighted words, as JSM's API writes them.
const (
	hlOpen  = "@@@hl@@@"
	hlClose = "@@@endhl@@@"
)

// marker finds a query's words in text: by the index's analyzer (so
// "printers" marks "printer") and, for type-ahead, by a prefix of the
// last word typed.
type marker struct {
	an     analysis.Analyzer
	terms  map[string]bool
	prefix string
}

func newMarker(an analysis.Analyzer, q string, prefix bool) marker {
	m := marker{an: an, terms: map[string]bool{}}
	for _, t := range an.Analyze([]byte(q)) {
		m.terms[string(t.Term)] = true
	}
	if prefix {
		words := strings.Fields(strings.ToLower(q))
		if len(words) > 0 && !unicode.IsSpace(lastRune(q)) {
			m.prefix = strings.TrimFunc(words[len(words)-1], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		}
	}
	return m
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

type span struct{ start, end int }

// spans are the byte ranges of text's matching words, in order.
func (m marker) spans(text string) []span {
	var out []span
	if len(m.terms) > 0 {
		for _, t := range m.an.Analyze([]byte(text)) {
			if m.terms[string(t.Term)] {
				out = append(out, span{t.Start, t.End})
			}
		}
	}
	if m.prefix != "" {
		lower := strings.ToLower(text)
		for i := 0; i < len(lower); {
			j := strings.Index(lower[i:], m.prefix)
			if j < 0 {
				break
			}
			at := i + j
			prev, _ := utf8.DecodeLastRuneInString(lower[:at])
			if at == 0 || !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
				end := at + len(m.prefix)
				for end < len(lower) {
					r, size := utf8.DecodeRuneInString(lower[end:])
					if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
						break
					}
					end += size
				}
				if len(lower) == len(text) {
					out = append(out, span{at, end})
				}
			}
			i = at + len(m.prefix)
		}
	}
	if len(out) < 2 {
		return out
	}
	// Sort and merge what the two passes found.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].start < out[j-1].start; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	merged := out[:1]
	for _, s := range out[1:] {
		last := &merged[len(merged)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
		} else {
			merged = append(merged, s)
		}
	}
	return merged
}

// mark returns text with every match between markers.
func (m marker) mark(text string) string {
	return wrap(text, m.spans(text), 0, len(text))
}

func wrap(text string, spans []span, from, to int) string {
	var b strings.Builder
	at := from
	for _, s := range spans {
		if s.end <= from || s.start >= to {
			continue
		}
		b.WriteString(text[at:max(at, s.start)])
		b.WriteString(hlOpen + text[max(s.start, from):min(s.end, to)] + hlClose)
		at = min(s.end, to)
	}
	b.WriteString(text[at:to])
	return b.String()
}

// excerpt is a passage of about n bytes around the densest run of matches,
// marked; without matches, the opening.
func (m marker) excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	const scan = 16 << 10
	if len(text) > scan {
		text = strings.ToValidUTF8(text[:scan], "")
	}
	spans := m.spans(text)
	if len(spans) == 0 {
		return opening(text, n)
	}
	best, bestCount := 0, 0
	for i := range spans {
		c := 0
		for j := i; j < len(spans) && spans[j].end-spans[i].start <= n; j++ {
			c++
		}
		if c > bestCount {
			best, bestCount = i, c
		}
	}
	from := max(0, spans[best].start-n/4)
	for from > 0 && from < len(text) && text[from-1] != ' ' {
		from--
		if spans[best].start-from > n/2 {
			break
		}
	}
	for from < len(text) && !utf8.RuneStart(text[from]) {
		from++
	}
	to := min(len(text), from+n)
	for to < len(text) && text[to] != ' ' && to-from < n+30 {
		to++
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	out := wrap(text, spans, from, to)
	if from > 0 {
		out = "…" + out
	}
	if to < len(text) {
		out += "…"
	}
	return out
}

var collator = sync.OnceValue(func() *collate.Collator { return collate.New(language.Und, collate.IgnoreCase, collate.Numeric) })
var collMu sync.Mutex

// compareTitles orders titles as people expect, case and accents aside.
func compareTitles(a, b string) int {
	collMu.Lock()
	defer collMu.Unlock()
	return collator().CompareString(a, b)
}

// Render is Markdown as an article shows it, for the editor's preview.
func Render(src string) string { return render(src) }

// textCache keeps the plain text of recently searched articles by
// revision: excerpts need it for every hit, and rendering Markdown again
// for each search was a third of a search's time.
type textCache struct {
	mu sync.Mutex
	m  map[uint64]cachedText
}

type cachedText struct {
	revision int
	text     string
}

const textCacheSize = 2048

func (c *textCache) of(a Article) string {
	c.mu.Lock()
	t, ok := c.m[a.ID]
	c.mu.Unlock()
	if ok && t.revision == a.Revision {
		return t.text
	}
	text := plainText(a.Body)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= textCacheSize {
		c.m = map[uint64]cachedText{}
	}
	c.m[a.ID] = cachedText{a.Revision, text}
	c.mu.Unlock()
	return text
}

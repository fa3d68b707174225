package helpcenter

import (
	"bytes"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	md     = goldmark.New(goldmark.WithExtensions(extension.GFM))
	policy = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	})
)

// RenderMarkdown turns announcement Markdown into HTML that is safe to put
// in a page: goldmark renders (raw HTML is escaped, not passed through),
// then bluemonday keeps only user-content tags and attributes, so a hostile
// announcement can neither run script nor break out of its box.
//
// Rendering is most of a help-center page's cost and announcements rarely
// change, so results are kept in a small cache keyed by the source; the
// stored data stays Markdown, rendered by the current policy.
func RenderMarkdown(src string) string {
	if src == "" {
		return ""
	}
	if html, ok := rendered.get(src); ok {
		return html
	}
	html := RenderMarkdownUncached(src)
	rendered.put(src, html)
	return html
}

// RenderMarkdownUncached is RenderMarkdown without the cache, for large
// sources that would crowd it.
func RenderMarkdownUncached(src string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return policy().Sanitize(src)
	}
	return policy().Sanitize(buf.String())
}

// renderCache is a bounded map; when full it starts over, which is simple
// and fine for a few hundred announcements.
type renderCache struct {
	mu sync.RWMutex
	m  map[string]string
}

const renderCacheSize = 1024

var rendered = &renderCache{m: map[string]string{}}

func (c *renderCache) get(k string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *renderCache) put(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= renderCacheSize {
		c.m = map[string]string{}
	}
	c.m[k] = v
}

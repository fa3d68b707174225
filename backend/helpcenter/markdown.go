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
func RenderMarkdown(src string) string {
	if src == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return policy().Sanitize(src)
	}
	return policy().Sanitize(buf.String())
}

package server_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"
)

func encoded(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, 0, color.RGBA{R: uint8(x), G: 100, B: 200, A: 255})
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(b *bytes.Buffer, i image.Image) error  { return png.Encode(b, i) }
func jpegOf(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) }
func gifOf(b *bytes.Buffer, i image.Image) error  { return gif.Encode(b, i, nil) }

func upload(t *testing.T, c *http.Client, url, ctype string, body []byte) response {
	t.Helper()
	req, _ := http.NewRequest("PUT", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(res.Body)
	return response{res.StatusCode, res.Header, out.Bytes()}
}

func TestLogoUploads(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	url := r.lan.URL + "/api/helpcenter/logo"
	good := encoded(t, 64, 32, pngOf)
	for _, tc := range []struct {
		name   string
		ctype  string
		body   []byte
		status int
	}{
		{"png", "image/png", good, 200},
		{"jpeg", "image/jpeg", encoded(t, 40, 40, jpegOf), 200},
		{"gif", "image/gif", encoded(t, 40, 40, gifOf), 200},
		{"png named as jpeg", "image/jpeg", good, 200},
		{"empty", "image/png", nil, 400},
		{"text", "image/png", []byte("hello, I am not an image"), 400},
		{"svg with script", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 400},
		{"html", "image/png", []byte("<html><script>alert(1)</script></html>"), 400},
		{"truncated png", "image/png", good[:len(good)/2], 400},
		{"too wide", "image/png", encoded(t, 3000, 1, pngOf), 400},
		{"too big", "image/png", append(append([]byte{}, good...), make([]byte, 2<<20)...), 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := upload(t, owner, url, tc.ctype, tc.body)
			if res.status != tc.status {
				t.Fatalf("PUT logo (%s) = %d %s; want %d", tc.name, res.status, res.body, tc.status)
			}
			if tc.status != 200 {
				res.errKind(t)
				return
			}
			logo := res.json(t)["logoUrl"].(string)
			img := do(t, http.DefaultClient, "GET", r.lan.URL+logo, "")
			if img.status != 200 || img.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(img.body, []byte("\x89PNG")) ||
				img.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(img.header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("GET %s = %d %v; want a sandboxed PNG", logo, img.status, img.header)
			}
		})
	}
	// A customer may not change it.
	cust := r.newPersona("Cy", "cy@example.org", "customer")
	if res := upload(t, cust.client, url, "image/png", good); res.status != 403 {
		t.Errorf("customer uploads a logo = %d; want 403", res.status)
	}
	if res := do(t, owner, "DELETE", url, ""); res.status != 200 || res.json(t)["logoUrl"] != "" {
		t.Errorf("DELETE logo = %d %s; want no logo", res.status, res.body)
	}
	if res := do(t, http.DefaultClient, "GET", url, ""); res.status != 404 {
		t.Errorf("GET logo after delete = %d; want 404", res.status)
	}
}

func TestPortalLogoFollowsPortalAccess(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	do(t, owner, "POST", r.lan.URL+"/api/projects", `{"key":"IT","name":"IT Support"}`)
	res := upload(t, owner, r.lan.URL+"/api/projects/1/logo", "image/png", encoded(t, 20, 20, pngOf))
	logo, _ := res.json(t)["logoUrl"].(string)
	if res.status != 200 || !strings.HasPrefix(logo, "/api/portals/1/logo") {
		t.Fatalf("portal logo upload = %d %s", res.status, res.body)
	}
	outsider := r.newPersona("Nadia", "nadia@example.org", "customer")
	if res := do(t, outsider.client, "GET", r.lan.URL+logo, ""); res.status != 403 {
		t.Errorf("outsider fetches a restricted portal's logo = %d; want 403", res.status)
	}
	do(t, owner, "POST", r.lan.URL+"/api/projects/1/customers", `{"email":"nadia@example.org"}`)
	if res := do(t, outsider.client, "GET", r.lan.URL+logo, ""); res.status != 200 {
		t.Errorf("customer fetches the portal's logo = %d; want 200", res.status)
	}
	portals := do(t, outsider.client, "GET", r.lan.URL+"/api/portals", "")
	if !strings.Contains(string(portals.body), fmt.Sprintf(`"logoUrl":"%s"`, logo)) {
		t.Errorf("portal list = %s; want the logo URL", portals.body)
	}
}

package server

import (
	"net"
	"regexp"
	"testing"
)

func TestPortalURLs(t *testing.T) {
	if got := PortalURLs(net.IPv4(127, 0, 0, 1), 8480); len(got) != 1 || got[0] != "http://127.0.0.1:8480/" {
		t.Errorf("PortalURLs(127.0.0.1) = %v; want just that address", got)
	}
	got := PortalURLs(net.IPv4zero, 8480)
	if len(got) == 0 {
		t.Fatal("PortalURLs(0.0.0.0) is empty; want at least the loopback fallback")
	}
	for _, u := range got {
		if !regexp.MustCompile(`^http://\d+\.\d+\.\d+\.\d+:8480/$`).MatchString(u) {
			t.Errorf("PortalURLs(0.0.0.0) has %q; want IPv4 URLs only", u)
		}
	}
}

package server

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// Listener is the LAN door, open and serving.
type Listener struct {
	http *http.Server
	// URLs are where customers can reach it, one per LAN address.
	URLs []string
	// Err receives the error if serving stops by itself.
	Err <-chan error
}

// Listen opens addr and serves the LAN handler on it. The addresses it can
// be reached at are given to the help center as the default canonical one.
func (s *Server) Listen(addr string) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("cannot listen on %s: the address is in use; choose another with --addr", addr)
		}
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	tcp := ln.Addr().(*net.TCPAddr)
	urls := PortalURLs(tcp.IP, tcp.Port)
	s.b.HelpCenter.SetAddresses(urls)
	errc := make(chan error, 1)
	l := &Listener{URLs: urls, Err: errc, http: &http.Server{
		Handler:           s.LAN(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          stdlog.New(logWriter{s.log}, "", 0),
	}}
	go func() {
		if err := l.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	s.log.Info().Str("addr", ln.Addr().String()).Msg("listening")
	return l, nil
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends; then it closes the connections still open, so a client
// sending its body slowly cannot hold Portico open.
func (l *Listener) Shutdown(ctx context.Context) error {
	err := l.http.Shutdown(ctx)
	if err != nil {
		l.http.Close()
	}
	return err
}

// PortalURLs lists where customers can reach a listener on ip:port: each
// non-loopback IPv4 address when it listens on all of them, else the one it
// listens on; loopback when the machine has no network at all.
func PortalURLs(ip net.IP, port int) []string {
	p := strconv.Itoa(port)
	if !ip.IsUnspecified() {
		return []string{"http://" + net.JoinHostPort(ip.String(), p) + "/"}
	}
	var urls []string
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.To4() == nil || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
				continue
			}
			urls = append(urls, "http://"+net.JoinHostPort(n.IP.String(), p)+"/")
		}
	}
	if len(urls) == 0 {
		urls = []string{"http://" + net.JoinHostPort("127.0.0.1", p) + "/"}
	}
	return urls
}

// logWriter sends net/http's own complaints (TLS probes, bad requests)
// through zerolog.
type logWriter struct{ log zerolog.Logger }

func (z logWriter) Write(p []byte) (int, error) {
	z.log.Warn().Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

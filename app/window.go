//go:build desktop

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// Available reports whether this build has a window.
const Available = true

// Run opens the window and blocks until it closes.
func Run(o Options) error {
	var (
		handler atomic.Pointer[http.Handler]
		ready   = make(chan struct{})
		wctx    context.Context // Wails' startup context, needed by its runtime calls
	)
	// The webview may ask for the page before OnStartup has opened the
	// backend; those requests wait for it.
	lazy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			unavailable(w, r, "Portico is still starting.")
			return
		}
		(*handler.Load()).ServeHTTP(w, r)
	})

	return wails.Run(&options.App{
		Title:     o.Title,
		Width:     1180,
		Height:    800,
		MinWidth:  400,
		MinHeight: 480,
		AssetServer: &assetserver.Options{
			Handler: lazy,
		},
		OnStartup: func(ctx context.Context) {
			wctx = ctx
			var h http.Handler
			hs, err := o.Start(ctx)
			if err != nil {
				h = failedPage(err)
			} else {
				h = hs.Window
			}
			handler.Store(&h)
			close(ready)
			// SIGINT/SIGTERM close the window the same way its close
			// button does, so OnShutdown closes the store cleanly.
			go func() {
				sig := make(chan os.Signal, 1)
				signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
				<-sig
				o.Log.Info().Msg("signal received, closing the window")
				runtime.Quit(ctx)
			}()
		},
		OnShutdown: func(context.Context) { o.Stop() },
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: o.InstanceID,
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {
				if wctx == nil {
					return
				}
				o.Log.Info().Msg("second launch: bringing the window to the front")
				runtime.WindowUnminimise(wctx)
				runtime.WindowShow(wctx)
				// Toggling always-on-top raises the window past focus-stealing
				// prevention without pinning it there.
				runtime.WindowSetAlwaysOnTop(wctx, true)
				runtime.WindowSetAlwaysOnTop(wctx, false)
			},
		},
		Linux: &linux.Options{ProgramName: "portico"},
	})
}

// unavailable answers API calls in the API's JSON and pages in plain text.
func unavailable(w http.ResponseWriter, r *http.Request, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"kind": "unavailable", "message": msg}})
		return
	}
	http.Error(w, msg, http.StatusServiceUnavailable)
}

func failedPage(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			unavailable(w, r, "Portico could not start: "+err.Error())
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>Portico could not start</title></head>`+
			`<body style="font:16px system-ui,sans-serif;margin:3rem;max-width:40rem"><h1>Portico could not start</h1><p>%s</p>`+
			`<p>Close this window, fix the problem and start Portico again.</p></body></html>`, html.EscapeString(err.Error()))
	})
}

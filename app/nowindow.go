//go:build !desktop

package app

// Available reports whether this build has a window.
const Available = false

// Run fails: headless builds have no window.
func Run(Options) error { return ErrNoWindow }

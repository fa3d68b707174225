// Command portico is a service desk in one binary: the desktop window where
// admins and agents work, and a web server customers on the LAN open.
package main

import (
	"embed"
	"io/fs"
	"os"
)

//go:embed all:frontend/dist
var dist embed.FS

func main() {
	assets, err := fs.Sub(dist, "frontend/dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv, assets))
}

package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"time"
)

// consolePage is the web console served at /: a chat and echo client in
// one self-contained HTML file.
//
//go:embed page/index.html
var consolePage []byte

// serveFallback answers the plain HTTP requests of wsx serve: the console
// at /, or with -static the files of a directory.
type serveFallback struct {
	files http.Handler // nil: serve the console
	root  *os.Root     // the -static directory, or nil
}

// newServeFallback returns the handler for plain HTTP requests, serving
// the files under dir when it is not empty. Close releases the directory.
func newServeFallback(dir string) (*serveFallback, error) {
	if dir == "" {
		return &serveFallback{}, nil
	}
	// os.Root keeps every lookup inside dir, through ".." and symbolic
	// links alike.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("serve: -static: %w", err)
	}
	return &serveFallback{files: http.FileServerFS(refuseEscapes{root.FS()}), root: root}, nil
}

// Close releases the -static directory.
func (f *serveFallback) Close() error {
	if f.root == nil {
		return nil
	}
	return f.root.Close()
}

// ServeHTTP answers GET and HEAD of / with the console, or of any path
// with -static; 404 for other paths, 405 for other methods.
func (f *serveFallback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.files == nil && r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if f.files != nil {
		f.files.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	// The page loads nothing from elsewhere; it only opens WebSockets.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self' ws: wss:")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(consolePage))
}

// refuseEscapes reports the paths os.Root refuses, those leading out of
// its directory through a symbolic link, as forbidden (403) rather than
// as failures (500).
type refuseEscapes struct{ fs.FS }

// Open opens name as the FS does, refusing escapes with fs.ErrPermission.
func (r refuseEscapes) Open(name string) (fs.File, error) {
	f, err := r.FS.Open(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f, err
}

package interop_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// matrixDriver runs one peer's drivers for the matrix.
type matrixDriver struct {
	// require skips the test, or fails it under WSX_REQUIRE_INTEROP=1,
	// when the peer is not installed.
	require func(t *testing.T)
	// client returns the command line of the client driver, which runs
	// the named cases against the wsx server at base; page is the URL of
	// the browser's page, for a browser.
	client func(t *testing.T, base, page string, cases []string) []string
	// server returns the command line of the server driver.
	server func(t *testing.T) []string
	// browser says the client runs in a page, which the test serves on
	// another port than the wsx server's: its origin is that page's.
	browser bool
}

// matrixDrivers are the peers' drivers, by the names of matrix.json.
var matrixDrivers = map[string]matrixDriver{
	"qt": {
		require: requireQt,
		client: func(t *testing.T, base, page string, cases []string) []string {
			return append([]string{pythonPath, driverPath(t, "qt", "client.py"), base}, cases...)
		},
		server: func(t *testing.T) []string { return []string{pythonPath, driverPath(t, "qt", "server.py")} },
	},
	"python": {
		require: requirePython,
		client: func(t *testing.T, base, page string, cases []string) []string {
			return append([]string{pythonPath, driverPath(t, "python", "matrix_client.py"), base}, cases...)
		},
		server: func(t *testing.T) []string { return []string{pythonPath, driverPath(t, "python", "matrix_server.py")} },
	},
	"node": {
		require: func(t *testing.T) { requireNode(t, "ws") },
		client: func(t *testing.T, base, page string, cases []string) []string {
			return append([]string{"node", driverPath(t, "node", "matrix-client.js"), base}, cases...)
		},
		server: func(t *testing.T) []string { return []string{"node", driverPath(t, "node", "matrix-server.js")} },
	},
	"chromium": {
		require: func(t *testing.T) { requireChromium(t) },
		client: func(t *testing.T, base, page string, cases []string) []string {
			return append([]string{"node", driverPath(t, "node", "matrix-browser.js"), page, base}, cases...)
		},
		browser: true,
	},
}

// driverPath returns the path of a driver script in interop/dir.
func driverPath(t *testing.T, dir, name string) string {
	t.Helper()
	return filepath.Join(moduleRoot(t), "interop", dir, name)
}

// requireQt skips (or fails) the test unless pythonPath has PyQt6's
// QtWebSockets (Debian's python3-pyqt6.qtwebsockets).
func requireQt(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, pythonPath, "-c",
		"from PyQt6 import QtCore, QtWebSockets; print(QtCore.QT_VERSION_STR)")
	cmd.Env = append(cmd.Environ(), "QT_QPA_PLATFORM=offscreen")
	out, err := cmd.CombinedOutput()
	if err != nil {
		missing(t, fmt.Sprintf("the Qt interop tests need %s with PyQt6.QtWebSockets (Debian's python3-pyqt6.qtwebsockets): %v\n%s", pythonPath, err, out))
	}
	t.Logf("Qt %s", strings.TrimSpace(string(out)))
}

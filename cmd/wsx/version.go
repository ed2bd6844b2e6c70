package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

const versionUsage = `usage: wsx version

Prints wsx's module version, the VCS revision it was built from (with
"modified" when the tree had uncommitted changes) and the Go version.
`

// versionCmd runs `wsx version`.
func versionCmd(args []string) error {
	if len(args) > 0 {
		if h := args[0]; len(args) == 1 && (h == "-h" || h == "-help" || h == "--help") {
			fmt.Print(versionUsage)
			return nil
		}
		fmt.Fprint(os.Stderr, versionUsage)
		return exitCode(2)
	}
	info, _ := debug.ReadBuildInfo()
	printVersion(os.Stdout, info)
	return nil
}

// printVersion writes one line such as
//
//	wsx v0.0.0-20260101120000-abcdef123456+dirty (go1.26.8, rev abcdef123456, modified)
//
// from the build information the Go toolchain embeds; info may be nil.
func printVersion(w io.Writer, info *debug.BuildInfo) {
	version, goVersion := "(unknown)", runtime.Version()
	var details []string
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		settings := make(map[string]string)
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			details = append(details, "rev "+rev[:min(len(rev), 12)])
		}
		if settings["vcs.modified"] == "true" {
			details = append(details, "modified")
		}
	}
	fmt.Fprintf(w, "wsx %s (%s)\n", version, strings.Join(append([]string{goVersion}, details...), ", "))
}

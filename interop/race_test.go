//go:build race

package interop_test

// raceEnabled builds wsx with the race detector when the tests run with it.
const raceEnabled = true

//go:build race

package main

// raceEnabled reports whether the tests run with the race detector, under
// which the compression of sections 12 and 13 is many times slower.
const raceEnabled = true

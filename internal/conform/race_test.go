//go:build race

package conform_test

// raceEnabled reports whether the tests run with the race detector, which
// makes the compression of sections 12 and 13 several times slower.
const raceEnabled = true

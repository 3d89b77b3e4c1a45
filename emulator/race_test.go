//go:build race

package emulator_test

// raceEnabled skips the tests that push 70 MB through the race detector's
// instrumented copies (they run without -race).
const raceEnabled = true

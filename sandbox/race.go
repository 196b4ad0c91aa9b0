//go:build race

package sandbox

// raceEnabled: the race detector reserves terabytes of shadow address
// space, so Process children built with it cannot have RLIMIT_AS.
const raceEnabled = true

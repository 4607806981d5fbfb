//go:build !race

package broker

// raceEnabled: allocation counts mean nothing under the race detector.
const raceEnabled = false

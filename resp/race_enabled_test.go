//go:build race

package resp

// raceEnabledResp: allocation counts mean nothing under the race detector.
const raceEnabledResp = true

//go:build !race

package resp

const raceEnabledResp = false

package checker

import (
	"strconv"
	"strings"
)

// streamID is a parsed <ms>-<seq> message ID.
type streamID struct{ ms, seq uint64 }

// parseID parses an ID; ok is false for anything else.
func parseID(s string) (streamID, bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return streamID{}, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return streamID{ms, seq}, err1 == nil && err2 == nil
}

func (a streamID) less(b streamID) bool {
	return a.ms < b.ms || a.ms == b.ms && a.seq < b.seq
}

// idLess orders two ID strings; an unparsable ID sorts first.
func idLess(a, b string) bool {
	x, okA := parseID(a)
	y, okB := parseID(b)
	if !okA || !okB {
		return !okA && okB
	}
	return x.less(y)
}

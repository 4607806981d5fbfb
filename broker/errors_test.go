package broker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rewind-mq/rewind/wal"
)

// TestCatalog: codes are unique, every Redis reply has an error prefix, and
// the storage layer's sentinels (also wrapped) find their entries.
func TestCatalog(t *testing.T) {
	codes := map[string]bool{}
	for _, e := range catalog {
		if codes[e.Code] || e.Code == "" {
			t.Errorf("code %q empty or used twice", e.Code)
		}
		codes[e.Code] = true
		prefix, _, _ := strings.Cut(e.Redis, " ")
		if prefix == "" || strings.ToUpper(prefix) != prefix {
			t.Errorf("%s: reply %q has no error prefix", e.Code, e.Redis)
		}
		if e.cause == nil {
			continue
		}
		if got, ok := Lookup(fmt.Errorf("context: %w", e.cause)); !ok || got != e {
			t.Errorf("%s: Lookup of its wrapped cause = %v %v", e.Code, got, ok)
		}
	}
	if got, ok := Lookup(fmt.Errorf("reading: %w", ErrUnblockedNoKey)); !ok || got != ErrUnblockedNoKey {
		t.Errorf("Lookup of a wrapped entry = %v %v", got, ok)
	}
	if _, ok := Lookup(wal.ErrCorrupt); ok {
		t.Error("an error without an entry was found")
	}
}

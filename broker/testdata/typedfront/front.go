// Package typedfront is a fixture of TestFrontsWriteTypedCatch: a front
// that writes Commands and uses OpKinds in each way the check must find
// (the lines marked "want"), and reads kinds and builds writes as fronts
// may (the others).
package typedfront

import "github.com/rewind-mq/rewind/broker"

// Fill writes a command's fields, nested fields and elements.
func Fill(r *broker.Request, fields [][]byte) {
	c := r.Add()
	c.Kind, c.Channel = broker.OpAppend, []byte("c") // want: Kind, Channel, OpAppend
	c.Spec.Auto = true                               // want: Auto
	c.Fields = fields                                // want: Fields
	c.Fields[0] = nil                                // want: Fields
	c.Count++                                        // want: Count
	parse(&c.Trim)                                   // want: Trim
}

func parse(t *broker.Trim) { t.MaxLen = 1 }

// Replace writes whole commands.
func Replace(r *broker.Request, tmpl broker.Command) {
	*r.Add() = tmpl                  // want: Add
	*r.Command(0) = broker.Command{} // want: Command, Command
	var local broker.Command
	local = tmpl // want: local
	_ = local
}

// Kind passes an OpKind on.
func Kind() broker.OpKind { return broker.OpDrop } // want: OpDrop

// Allowed reads a kind a Notifier reports, reads a command and builds
// with the typed builders.
func Allowed(r *broker.Request, kind broker.OpKind, id broker.ID) bool {
	switch kind {
	case broker.OpAppend, broker.OpTrim:
		return true
	}
	r.Notify(r.Delete([]byte("c"), []broker.ID{id}))
	r.Result(0).Entries = nil
	return kind == broker.OpDrop || r.Command(0).Kind != broker.OpSetID
}

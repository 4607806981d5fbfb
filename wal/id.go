package wal

import "github.com/rewind-mq/rewind/internal/stream"

// ID is a Redis stream ID (stream.ID: a value type every layer shares).
type ID = stream.ID

// MaxID is the largest possible ID, what "+" means in a range.
var MaxID = stream.MaxID

// IDSpec is the ID requested for a new entry (stream.IDSpec).
type IDSpec = stream.IDSpec

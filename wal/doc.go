// Package wal owns rewind's storage: one Pebble DB per node holding every
// channel's append-only log, the channel names table and per-channel
// metadata. It assigns message IDs, group-commits writes (nothing is
// acknowledged before its fsync), bounds every read by the durable watermark,
// and trims by range deletion. Nothing above wal touches Pebble.
//
// See writer.go for the write path and its invariants.
package wal

// Package delivery owns the in-memory subscription index (channels and glob
// patterns) and fan-out of durable entries to subscribers.
package delivery

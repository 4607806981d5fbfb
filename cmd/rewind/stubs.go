package main

import (
	"fmt"
	"io"
)

func publishMain(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "rewind publish: not built yet")
	return 2
}

func subscribeMain(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "rewind subscribe: not built yet")
	return 2
}

func replayMain(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "rewind replay: not built yet")
	return 2
}

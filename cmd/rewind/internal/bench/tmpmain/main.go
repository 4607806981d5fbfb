package main

import (
	"os"
	"runtime/pprof"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/bench"
)

func main() {
	if p := os.Getenv("CPUPROF"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		code := bench.Main(os.Args[1:], os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		os.Exit(code)
	}
	os.Exit(bench.Main(os.Args[1:], os.Stdout, os.Stderr))
}

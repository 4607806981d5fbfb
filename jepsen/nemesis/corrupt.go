package nemesis

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rewind-mq/rewind/jepsen/history"
	"github.com/rewind-mq/rewind/jepsen/node"
	"github.com/rewind-mq/rewind/jepsen/workload"
)

// corrupt stops the node, copies its files, restarts it, damages the copy
// and starts a probe node on the copy: whether it refuses to start, fails
// reads, or serves data, everything it answers goes in the history (Node
// "probe-N") for the checker, which must find no wrong value.
func (r *Runner) corrupt(ctx context.Context, st Step) {
	r.event(history.Invoke, Corrupt, r.Node.Name(), "stop, copy the data directory, restart")
	copyDir := filepath.Join(r.ProbeDir, fmt.Sprintf("probe-%d", r.probes))
	err := r.Node.Stop()
	if err == nil {
		err = os.CopyFS(copyDir, os.DirFS(r.Node.DataDir()))
	}
	rerr := r.restart(ctx)
	r.end(Corrupt, errors.Join(err, rerr), "restarted")
	if err != nil {
		return
	}
	defer os.RemoveAll(copyDir)
	r.probe(ctx, st, copyDir)
}

// probe damages the copy and records what a node makes of it.
func (r *Runner) probe(ctx context.Context, st Step, dir string) {
	name := fmt.Sprintf("probe-%d", r.probes)
	r.probes++
	rng := rand.New(rand.NewPCG(uint64(st.Variant), uint64(st.At)))
	mutation, err := damage(rng, dir)
	if err != nil {
		r.event(history.Invoke, "corrupt-probe", name, "no file to damage")
		r.event(history.Info, "corrupt-probe", name, err.Error())
		return
	}
	r.event(history.Invoke, "corrupt-probe", name, mutation)
	p, err := node.NewProcess(node.ProcessConfig{Name: name, Binary: r.Binary, DataDir: dir, LogPath: filepath.Join(r.LogDir, name+".log")})
	if err == nil {
		err = p.Start(ctx, node.Mode{})
	}
	if err != nil {
		r.event(history.OK, "corrupt-probe", name, "refused to start: "+whyExited(p.LogTail()))
		return
	}
	defer p.Close()
	errs := workload.ProbeReads(r.Env, name, p.Addr(), r.Channels)
	outcome := fmt.Sprintf("started; served all %d channels", len(r.Channels))
	if len(errs) > 0 {
		outcome = fmt.Sprintf("started; %d of %d channel reads failed, first: %v", len(errs), len(r.Channels), errs[0])
	}
	select {
	case <-p.Exited():
		outcome += "; then the node " + whyExited(p.LogTail())
	case <-time.After(200 * time.Millisecond):
	}
	r.event(history.OK, "corrupt-probe", name, outcome)
}

// damage flips a bit in, or truncates, one file of dir (tables, the
// write-ahead log or the current manifest), and describes what it did.
func damage(rng *rand.Rand, dir string) (string, error) {
	current := currentManifest(dir)
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := d.Name()
		info, ierr := d.Info()
		if ierr == nil && info.Size() > 0 && (strings.HasSuffix(base, ".sst") || strings.HasSuffix(base, ".log") || base == current) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		return "", errors.Join(err, errors.New("no table, log or manifest to damage"))
	}
	sort.Strings(files)
	path := files[rng.IntN(len(files))]
	if rng.IntN(2) == 0 {
		return flipBit(rng, path)
	}
	return truncate(rng, path)
}

// currentManifest names the manifest Pebble's marker file points at.
func currentManifest(dir string) string {
	names, _ := filepath.Glob(filepath.Join(dir, "marker.manifest.*"))
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	parts := strings.SplitN(filepath.Base(names[len(names)-1]), ".", 4)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

func flipBit(rng *rand.Rand, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	off, bit := rng.IntN(len(data)), rng.IntN(8)
	data[off] ^= 1 << bit
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf("bit flip: %s byte %d of %d, bit %d", filepath.Base(path), off, len(data), bit), nil
}

func truncate(rng *rand.Rand, path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	size := rng.Int64N(info.Size())
	if err := os.Truncate(path, size); err != nil {
		return "", err
	}
	return fmt.Sprintf("truncate: %s from %d to %d bytes", filepath.Base(path), info.Size(), size), nil
}

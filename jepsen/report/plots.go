package report

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/rewind-mq/rewind/jepsen/checker"
	"github.com/rewind-mq/rewind/jepsen/history"
)

// faultColors shade fault intervals, by nemesis.
var faultColors = map[string]color.NRGBA{
	"kill":          {R: 230, G: 80, B: 80, A: 70},
	"powerloss":     {R: 150, G: 60, B: 200, A: 70},
	"pause":         {R: 240, G: 180, B: 40, A: 70},
	"diskfault":     {R: 60, G: 140, B: 230, A: 70},
	"corrupt":       {R: 120, G: 120, B: 120, A: 70},
	"corrupt-probe": {R: 120, G: 120, B: 120, A: 30},
	"crash":         {R: 0, G: 0, B: 0, A: 90},
}

func faultColor(kind string) color.NRGBA {
	if c, ok := faultColors[kind]; ok {
		return c
	}
	return color.NRGBA{R: 100, G: 100, B: 100, A: 60}
}

// shading draws fault intervals as full-height bands behind the data.
type shading struct{ windows []checker.Window }

func (s shading) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, w := range s.windows {
		x0, x1 := trX(w.Start), trX(max(w.End, w.Start+0.05))
		x0, x1 = max(x0, c.Min.X), min(x1, c.Max.X)
		if x1 <= x0 {
			continue
		}
		c.FillPolygon(faultColor(w.Nemesis), []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
	}
}

// swatch is a legend entry of one fault colour.
type swatch color.NRGBA

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(color.NRGBA(s), []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}})
}

func newPlot(title, ylabel string, windows []checker.Window) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = ylabel
	p.Add(shading{windows}, plotter.NewGrid())
	p.Legend.Top = true
	seen := map[string]bool{}
	for _, w := range windows {
		if !seen[w.Nemesis] {
			seen[w.Nemesis] = true
			p.Legend.Add(w.Nemesis, swatch(faultColor(w.Nemesis)))
		}
	}
	return p
}

var seriesColors = []color.RGBA{
	{R: 20, G: 120, B: 40, A: 255}, {R: 200, G: 120, B: 0, A: 255}, {R: 200, G: 30, B: 30, A: 255},
	{R: 30, G: 80, B: 200, A: 255}, {R: 120, G: 40, B: 160, A: 255},
}

// addLine draws pts, broken wherever consecutive points are more than gap
// apart on x (no data there), with one legend entry.
func addLine(p *plot.Plot, name string, pts plotter.XYs, i int, gap float64) error {
	start := 0
	for j := 1; j <= len(pts); j++ {
		if j < len(pts) && pts[j].X-pts[j-1].X <= gap {
			continue
		}
		l, err := plotter.NewLine(pts[start:j])
		if err != nil {
			return err
		}
		l.Color = seriesColors[i%len(seriesColors)]
		l.Width = vg.Points(1)
		p.Add(l)
		if start == 0 {
			p.Legend.Add(name, l)
		}
		start = j
	}
	return nil
}

// headroom raises the y axis so the legend sits above the data.
func headroom(p *plot.Plot, factor float64) {
	p.Y.Min = 0
	p.Y.Max *= factor
}

// bucketSeconds picks the plot resolution for a run of length seconds.
func bucketSeconds(length float64) float64 {
	if length <= 120 {
		return 0.5
	}
	return math.Ceil(length / 300)
}

// series are per-bucket numbers derived from a history.
type series struct {
	bucket float64
	n      int
	counts map[string][]float64 // name -> per-bucket count
	lats   map[int][]float64    // bucket -> write latencies (ms)
	order  []string
}

func newSeries(ops []history.Op) *series {
	length := 1.0
	if len(ops) > 0 {
		length = float64(ops[len(ops)-1].Time) / 1e9
	}
	s := &series{bucket: bucketSeconds(length), counts: map[string][]float64{}, lats: map[int][]float64{}}
	s.n = int(length/s.bucket) + 1
	s.order = []string{"writes ok", "writes unknown", "writes failed", "reads ok", "messages delivered"}
	for _, name := range s.order {
		s.counts[name] = make([]float64, s.n)
	}
	invokes := map[int]int64{}
	for _, op := range ops {
		s.add(op, invokes)
	}
	return s
}

func (s *series) add(op history.Op, invokes map[int]int64) {
	b := int(float64(op.Time) / 1e9 / s.bucket)
	isWrite := op.F == history.FPublish || op.F == history.FXAdd
	switch {
	case op.Process == history.NemesisProcess:
	case op.Type == history.Invoke:
		invokes[op.Process] = op.Time
	case op.F == history.FRecv:
		s.counts["messages delivered"][b] += float64(len(op.Values))
	case isWrite:
		s.counts[map[history.Type]string{history.OK: "writes ok", history.Fail: "writes failed", history.Info: "writes unknown"}[op.Type]][b]++
		if op.Type == history.OK {
			s.lats[b] = append(s.lats[b], float64(op.Time-invokes[op.Process])/1e6)
		}
	case (op.F == history.FRead || op.F == history.FReplay) && op.Type == history.OK:
		s.counts["reads ok"][b]++
	}
}

// throughputPlot: operations per second over time.
func throughputPlot(s *series, windows []checker.Window, path string) error {
	p := newPlot("Throughput (shaded: faults)", "operations / s", windows)
	for i, name := range s.order {
		pts := make(plotter.XYs, s.n)
		for b := range pts {
			pts[b] = plotter.XY{X: float64(b) * s.bucket, Y: s.counts[name][b] / s.bucket}
		}
		if err := addLine(p, name, pts, i, s.bucket*1.5); err != nil {
			return err
		}
	}
	headroom(p, 1.6)
	return p.Save(28*vg.Centimeter, 13*vg.Centimeter, path)
}

// latencyPlot: acknowledged write latency percentiles over time (log y).
func latencyPlot(s *series, windows []checker.Window, path string) error {
	p := newPlot("Write latency, acknowledged writes (shaded: faults)", "ms (log)", windows)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	quantiles := []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p99", 0.99}, {"max", 1}}
	for i, qt := range quantiles {
		var pts plotter.XYs
		for b := 0; b < s.n; b++ {
			if l := s.lats[b]; len(l) > 0 {
				pts = append(pts, plotter.XY{X: float64(b) * s.bucket, Y: math.Max(quantile(l, qt.q), 0.01)})
			}
		}
		if len(pts) == 0 {
			continue
		}
		if err := addLine(p, qt.name, pts, i, s.bucket*1.5); err != nil {
			return err
		}
	}
	p.Y.Max *= 30
	return p.Save(28*vg.Centimeter, 13*vg.Centimeter, path)
}

func quantile(xs []float64, q float64) float64 {
	sort.Float64s(xs)
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[max(0, min(i, len(xs)-1))]
}

// Figures summarizes the plotted numbers for the closing note.
type Figures struct {
	PeakWritesPerSec float64 `json:"peak_writes_per_s"`
	MeanWritesPerSec float64 `json:"mean_writes_per_s"`
	WriteP50Ms       float64 `json:"write_p50_ms"`
	WriteP99Ms       float64 `json:"write_p99_ms"`
	WriteMaxMs       float64 `json:"write_max_ms"`
	DeliveriesPerSec float64 `json:"mean_deliveries_per_s"`
	ZeroWriteBuckets int     `json:"buckets_without_acknowledged_writes"`
	BucketSeconds    float64 `json:"bucket_s"`
}

func (s *series) figures() Figures {
	f := Figures{BucketSeconds: s.bucket}
	var all []float64
	total, deliveries := 0.0, 0.0
	for b := 0; b < s.n; b++ {
		w := s.counts["writes ok"][b]
		f.PeakWritesPerSec = max(f.PeakWritesPerSec, w/s.bucket)
		total += w
		deliveries += s.counts["messages delivered"][b]
		if w == 0 {
			f.ZeroWriteBuckets++
		}
		all = append(all, s.lats[b]...)
	}
	length := float64(s.n) * s.bucket
	f.MeanWritesPerSec, f.DeliveriesPerSec = total/length, deliveries/length
	if len(all) > 0 {
		f.WriteP50Ms, f.WriteP99Ms, f.WriteMaxMs = quantile(all, 0.5), quantile(all, 0.99), quantile(all, 1)
	}
	return f
}

func fmtMs(v float64) string { return fmt.Sprintf("%.1f ms", v) }

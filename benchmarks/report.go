package benchmarks

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// find returns the result for backend, client and size.
func find(rs []JobResult, backend, client, size string) (JobResult, bool) {
	for _, r := range rs {
		if r.Backend == backend && r.Client == client && r.Size == size {
			return r, true
		}
	}
	return JobResult{}, false
}

func fmtRate(v float64) string {
	switch {
	case v <= 0:
		return "–"
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func fmtMs(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(d)/1e6)
}

func fmtPair(a, b float64, format string) string {
	f := func(v float64) string {
		if v <= 0 {
			return "–"
		}
		return fmt.Sprintf(format, v)
	}
	return f(a) + " / " + f(b)
}

func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}

// WriteTable writes the results as a markdown table, followed by the
// errors of failed workloads.
func WriteTable(w io.Writer, rs []JobResult) {
	fmt.Fprintln(w, "| backend | client | size | produce msg/s | produce MB/s | consume msg/s | allocs/msg P / C | B/msg P / C | CPU s per 1M msgs P / C | p50 ms | p99 ms | p99.9 ms | peak RSS MB | kafkaclient/raw msg/s P / C |")
	fmt.Fprintln(w, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range rs {
		ratioCol := ""
		if r.Client == KindKafkaclient {
			if raw, ok := find(rs, r.Backend, KindRaw, r.Size); ok {
				ratioCol = fmtPair(ratio(r.Produce.MsgsPerSec(), raw.Produce.MsgsPerSec()),
					ratio(r.Consume.MsgsPerSec(), raw.Consume.MsgsPerSec()), "%.2f")
			}
		}
		mbs := r.Produce.MsgsPerSec() * float64(r.SizeBytes) / 1e6
		mbsCol := "–"
		if mbs > 0 {
			mbsCol = fmt.Sprintf("%.1f", mbs)
		}
		rss := "–"
		if p := r.PeakRSS(); p > 0 {
			rss = fmt.Sprintf("%.0f", float64(p)/(1<<20))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Backend, r.Client, r.Size,
			fmtRate(r.Produce.MsgsPerSec()), mbsCol, fmtRate(r.Consume.MsgsPerSec()),
			fmtPair(r.Produce.AllocsPerMsg(), r.Consume.AllocsPerMsg(), "%.1f"),
			fmtPair(r.Produce.BytesPerMsg(), r.Consume.BytesPerMsg(), "%.0f"),
			fmtPair(r.Produce.CPUPerMillion(), r.Consume.CPUPerMillion(), "%.2f"),
			fmtMs(r.Latency.P50), fmtMs(r.Latency.P99), fmtMs(r.Latency.P999),
			rss, ratioCol)
	}
	writeMemoryTable(w, rs)
	var errs []string
	for _, r := range rs {
		for _, e := range r.Errors {
			errs = append(errs, fmt.Sprintf("- %s/%s/%s: %s", r.Backend, r.Client, r.Size, e))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Failed workloads:")
		fmt.Fprintln(w)
		fmt.Fprintln(w, strings.Join(errs, "\n"))
	}
}

// writeMemoryTable writes the producer memory workload's rows, if any ran.
func writeMemoryTable(w io.Writer, rs []JobResult) {
	header := false
	for _, r := range rs {
		if r.Memory.Messages == 0 {
			continue
		}
		if !header {
			fmt.Fprintln(w)
			fmt.Fprintf(w, "Producer memory: %d messages produced as fast as the client takes them, at most %d buffered.\n\n", r.Memory.Messages, DefaultSettings(nil).MaxBuffered)
			fmt.Fprintln(w, "| backend | client | size | msg/s | peak RSS MiB | limit MiB (buffer + 64) | within |")
			fmt.Fprintln(w, "|---|---|---|--:|--:|--:|---|")
			header = true
		}
		within := "yes"
		if r.Memory.PeakRSS > r.MemoryLimit() {
			within = "**no**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %.0f | %s |\n", r.Backend, r.Client, r.Size,
			fmtRate(r.Memory.MsgsPerSec()), float64(r.Memory.PeakRSS)/(1<<20), float64(r.MemoryLimit())/(1<<20), within)
	}
}

// chart geometry
const (
	chartWidth  = 980
	panelHeight = 230
	panelTop    = 40
	plotLeft    = 70
	plotRight   = 20
	barGap      = 2
)

var (
	colorRaw = []string{"#1f77b4", "#6baed6", "#c6dbef"}
	colorKC  = []string{"#ff7f0e", "#fdae6b", "#fdd0a2"}
)

type series struct {
	name  string
	value func(JobResult) float64
}

type panel struct {
	title  string
	unit   string
	series []series
}

// WriteSVG draws produce throughput, consume throughput and latency per
// backend and size, kafkaclient next to raw, as an SVG image.
func WriteSVG(w io.Writer, rs []JobResult, subtitle string) error {
	panels := []panel{
		{"Produce throughput", "msgs/s", []series{{"", func(r JobResult) float64 { return r.Produce.MsgsPerSec() }}}},
		{"Consume throughput", "msgs/s", []series{{"", func(r JobResult) float64 { return r.Consume.MsgsPerSec() }}}},
		{"End-to-end latency, open loop", "ms", []series{
			{"p50", func(r JobResult) float64 { return float64(r.Latency.P50) / 1e6 }},
			{"p99", func(r JobResult) float64 { return float64(r.Latency.P99) / 1e6 }},
			{"p99.9", func(r JobResult) float64 { return float64(r.Latency.P999) / 1e6 }},
		}},
	}
	// Groups: every backend and size, in result order.
	type group struct{ backend, size string }
	var groups []group
	seen := map[group]bool{}
	for _, r := range rs {
		g := group{r.Backend, r.Size}
		if !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	height := panelTop + len(panels)*(panelHeight+50) + 10
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="15" font-weight="bold">kafkaclient vs raw client, per backend</text>`+"\n", plotLeft)
	fmt.Fprintf(&b, `<text x="%d" y="33" fill="#555">%s</text>`+"\n", plotLeft, esc(subtitle))
	// Legend.
	lx := chartWidth - 260
	fmt.Fprintf(&b, `<rect x="%d" y="10" width="12" height="12" fill="%s"/><text x="%d" y="20">raw</text>`+"\n", lx, colorRaw[0], lx+16)
	fmt.Fprintf(&b, `<rect x="%d" y="10" width="12" height="12" fill="%s"/><text x="%d" y="20">kafkaclient</text>`+"\n", lx+60, colorKC[0], lx+76)
	fmt.Fprintf(&b, `<text x="%d" y="33" fill="#555">latency: dark p50, mid p99, light p99.9</text>`+"\n", lx)

	plotW := float64(chartWidth - plotLeft - plotRight)
	for pi, p := range panels {
		top := float64(panelTop + pi*(panelHeight+50) + 20)
		bottom := top + panelHeight
		var maxV float64
		for _, r := range rs {
			for _, s := range p.series {
				maxV = math.Max(maxV, s.value(r))
			}
		}
		scale := niceCeil(maxV)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-size="13" font-weight="bold">%s (%s)</text>`+"\n", plotLeft, top-6, esc(p.title), esc(p.unit))
		for i := 0; i <= 4; i++ {
			v := scale * float64(i) / 4
			y := bottom - float64(panelHeight)*float64(i)/4
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", plotLeft, chartWidth-plotRight, y, y)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", plotLeft-4, y+4, esc(axisLabel(v, p.unit)))
		}
		if len(groups) == 0 || scale <= 0 {
			continue
		}
		groupW := plotW / float64(len(groups))
		nBars := 2 * len(p.series)
		barW := math.Min(40, (groupW*0.8-float64(nBars-1)*barGap)/float64(nBars))
		for gi, g := range groups {
			gx := float64(plotLeft) + groupW*float64(gi)
			x := gx + (groupW-(barW*float64(nBars)+barGap*float64(nBars-1)))/2
			for _, kind := range []string{KindRaw, KindKafkaclient} {
				r, ok := find(rs, g.backend, kind, g.size)
				colors := colorRaw
				if kind == KindKafkaclient {
					colors = colorKC
				}
				for si, s := range p.series {
					v := 0.0
					if ok {
						v = s.value(r)
					}
					h := float64(panelHeight) * math.Min(v/scale, 1)
					fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s %s %s: %s</title></rect>`+"\n",
						x, bottom-h, barW, h, colors[si%len(colors)],
						esc(g.backend), esc(kind), esc(g.size), esc(s.name), esc(axisLabel(v, p.unit)))
					if len(p.series) == 1 && v > 0 {
						fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n", x+barW/2, bottom-h-3, esc(axisLabel(v, p.unit)))
					}
					x += barW + barGap
				}
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s %s</text>`+"\n", gx+groupW/2, bottom+15, esc(g.backend), esc(g.size))
		}
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func axisLabel(v float64, unit string) string {
	if unit == "ms" {
		switch {
		case v >= 100:
			return fmt.Sprintf("%.0f", v)
		case v >= 10:
			return fmt.Sprintf("%.1f", v)
		}
		return fmt.Sprintf("%.2f", v)
	}
	if v == 0 {
		return "0"
	}
	return fmtRate(v)
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

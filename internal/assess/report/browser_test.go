package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/sortie-dev/sortie/internal/assess/report"
	"github.com/sortie-dev/sortie/internal/lang"
)

// artefacts is where tests leave files for people to look at:
// SORTIE_TEST_ARTEFACTS (scripts/test sets it), else the test's temp dir.
func artefacts(t *testing.T) string {
	if d := os.Getenv("SORTIE_TEST_ARTEFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// profileDir is an empty Chromium profile, removed after the test. Not
// t.TempDir: Chromium's helper processes may still write to it for a moment
// after the browser is stopped, which fails TempDir's strict removal.
func profileDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "sortie-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: scripts/test installs Debian's chromium package (apt-get install chromium)")
	return ""
}

// overflowJS lists what does not fit a window: the page wider than it, a
// chart wider than its column, a chart's text outside its drawing (cut).
const overflowJS = `(() => {
  const bad = [];
  const W = window.innerWidth;
  if (document.documentElement.scrollWidth > W) bad.push("page " + document.documentElement.scrollWidth + "px wide in a " + W + "px window");
  const body = document.body.getBoundingClientRect();
  const column = body.right - parseFloat(getComputedStyle(document.body).paddingRight);
  for (const t of document.querySelectorAll("table")) {
    const r = t.getBoundingClientRect();
    if (r.right > column + 0.5) bad.push("table under " + JSON.stringify(t.previousElementSibling && t.previousElementSibling.textContent) + " ends at " + Math.round(r.right) + "px, past the column's " + Math.round(column) + "px");
  }
  for (const svg of document.querySelectorAll("svg")) {
    const r = svg.getBoundingClientRect();
    const fig = svg.parentElement.getBoundingClientRect();
    const name = svg.getAttribute("aria-label");
    if (r.right > fig.right + 0.5 || r.left < fig.left - 0.5) bad.push(name + ": chart " + Math.round(r.width) + "px in a " + Math.round(fig.width) + "px column");
    if (r.right > W) bad.push(name + ": chart ends at " + Math.round(r.right) + "px");
    for (const t of svg.querySelectorAll("text")) {
      const b = t.getBoundingClientRect();
      if (b.left < r.left - 0.5 || b.right > r.right + 0.5) bad.push(name + ": text " + JSON.stringify(t.textContent) + " cut (" + Math.round(b.left - r.left) + " to " + Math.round(b.right - r.left) + " of " + Math.round(r.width) + "px)");
    }
  }
  return bad;
})()`

// The report opens in a real browser, offline, in a 1280-pixel window: the
// headline figures are on the page, everything fits the window (no chart
// overflows its column, no label is cut), nothing is fetched, nothing is
// logged as an error. A screenshot of each language is kept.
func TestReportInChromium(t *testing.T) {
	exe := chromium(t)
	out := artefacts(t)
	for _, l := range []lang.Lang{lang.English, lang.French} {
		t.Run(string(l), func(t *testing.T) {
			plan := planOf(t, "inventory.json", universityBill(), l)
			var page bytes.Buffer
			if err := report.HTML(&page, plan, l); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "sortie-assessment.html")
			os.WriteFile(path, page.Bytes(), 0o644)

			opts := append(chromedp.DefaultExecAllocatorOptions[:],
				chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
				chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
				chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
				chromedp.UserDataDir(profileDir(t)), chromedp.WindowSize(1280, 900))
			actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
			defer cancel()
			ctx, cancel := chromedp.NewContext(actx)
			defer cancel()
			ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
			defer cancel()

			var mu sync.Mutex
			var requests, problems []string
			chromedp.ListenTarget(ctx, func(ev any) {
				mu.Lock()
				defer mu.Unlock()
				switch e := ev.(type) {
				case *network.EventRequestWillBeSent:
					requests = append(requests, e.Request.URL)
				case *runtime.EventConsoleAPICalled:
					if e.Type == runtime.APITypeError || e.Type == runtime.APITypeWarning {
						problems = append(problems, string(e.Type))
					}
				case *runtime.EventExceptionThrown:
					problems = append(problems, e.ExceptionDetails.Text)
				}
			})
			var text string
			var shot []byte
			var overflow []string
			err := chromedp.Run(ctx,
				network.Enable(), runtime.Enable(),
				chromedp.Navigate("file://"+path),
				chromedp.WaitVisible("#h-data", chromedp.ByID),
				chromedp.Text("body", &text, chromedp.ByQuery),
				chromedp.Evaluate(overflowJS, &overflow),
				chromedp.FullScreenshot(&shot, 100), // 100: PNG,
			)
			if err != nil {
				t.Fatalf("chromium: %v", err)
			}
			headlines := report.Headlines(plan, l)
			flat := strings.Join(strings.Fields(text), " ")
			for _, o := range overflow {
				t.Errorf("does not fit 1280 pixels: %s", o)
			}
			for _, want := range []string{"93.6", "43", "12.4", "7", "518.23"} {
				if l == lang.French {
					want = strings.ReplaceAll(want, ".", ",")
				}
				if !strings.Contains(flat, want) {
					t.Errorf("page lacks %q; headlines %q", want, headlines)
				}
			}
			if l == lang.French && !strings.Contains(flat, "Évaluation de sortie d'AWS") || l == lang.English && !strings.Contains(flat, "AWS exit assessment") {
				t.Errorf("page is not in %s", l)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, u := range requests {
				if !strings.HasPrefix(u, "file://") {
					t.Errorf("the report fetched %s: it must open offline", u)
				}
			}
			if len(problems) > 0 {
				t.Errorf("console errors: %q", problems)
			}
			shotPath := filepath.Join(out, "assess-report-"+string(l)+".png")
			if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", shotPath)
		})
	}
}

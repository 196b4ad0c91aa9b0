package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// chromium is Debian's browser, which .ci/run installs.
const chromium = "/usr/bin/chromium"

// artifactDir is where the browser tests save their screenshots:
// $VERDICT_ARTIFACTS (.ci/run sets bin/artifacts at the module root,
// ignored by git), else a temporary directory of the test.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VERDICT_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBrowser starts headless Chromium for t, 1280 × 900, and returns a
// tab's context. It skips t when chromium is absent, unless CI=true: then
// the browser tests must run, and t fails.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing (.ci/run installs Debian's chromium): %v", chromium, err)
		}
		t.Skipf("skipping the browser test: %s is absent (apt-get install chromium to run it): %v", chromium, err)
	}
	// The deadline only stops a hung browser from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	alloc, cancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancel)
	browser, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancel)
	return browser
}

// getOnly serves h and fails the test on any request but GET and HEAD:
// the pages must never make a browser send anything.
func getOnly(t *testing.T, h http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			mu.Lock()
			t.Errorf("the browser sent %s %s", r.Method, r.URL)
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// TestBrowser loads pages of a running server, over a real engine with
// scored submissions, in headless Chromium: the leaderboard rows and the
// charts must be in the DOM and visible, and a screenshot of each page is
// saved for people to look at.
func TestBrowser(t *testing.T) {
	browser := startBrowser(t)
	ctx := browser
	s := newSite(t)
	anon := httptest.NewServer(getOnly(t, New(s.e, Config{})))
	defer anon.Close()
	ada := httptest.NewServer(getOnly(t, New(s.e, Config{Viewer: func(*http.Request) engine.Viewer {
		return engine.Viewer{Participant: "ada"}
	}})))
	defer ada.Close()
	dir := artifactDir(t)
	t.Logf("screenshots go to %s (set VERDICT_ARTIFACTS to change)", dir)

	t.Run("TaskPage", func(t *testing.T) {
		err := chromedp.Do(browser,
			chromedp.Navigate(anon.URL+"/tasks/"+regressionTask),
			chromedp.WaitVisible(chromedp.CSS(`table.board tbody tr`)),
			chromedp.WaitVisible(chromedp.CSS(`svg.chart.history path.line`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		names := run(t, browser, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table.board tbody tr:not(.baseline) td:nth-child(2)")).map(td => td.textContent.trim())`))
		forms := run(t, browser, chromedp.Evaluate[int](`document.forms.length`))
		ciBox := run(t, browser, chromedp.Evaluate[map[string]float64](box(`svg.chart.ci`)))
		histBox := run(t, browser, chromedp.Evaluate[map[string]float64](box(`svg.chart.history`)))
		shoot(t, dir, "task.png", run(t, browser, chromedp.FullScreenshot(100)))
		if got := strings.Join(names, ","); got != "ada,bob,cyd" {
			t.Errorf("got leaderboard rows %q, want ada,bob,cyd", got)
		}
		if forms != 0 {
			t.Errorf("got %d forms, want none: the task page submits nothing", forms)
		}
		for name, b := range map[string]map[string]float64{"interval chart": ciBox, "history chart": histBox} {
			if b["width"] < 400 || b["height"] < 100 || b["visible"] != 1 {
				t.Errorf("%s: got box %v, want a visible chart at least 400×100", name, b)
			}
		}
	})
	t.Run("TaskPageNarrow", func(t *testing.T) {
		err := chromedp.Do(browser,
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(anon.URL+"/tasks/"+regressionTask),
			chromedp.WaitVisible(chromedp.CSS(`table.board tbody tr`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		// Wide charts keep their size and scroll sideways inside their
		// panel; the page itself must not.
		if w := run(t, browser, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("got a page %v px wide on a 390 px screen, want no sideways scrolling", w)
		}
		shoot(t, dir, "task-narrow.png", run(t, browser, chromedp.FullScreenshot(100)))
		if err := chromedp.Do(browser, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SubmissionPage", func(t *testing.T) {
		err := chromedp.Do(browser,
			chromedp.Navigate(ada.URL+"/submissions/"+s.subs[binaryTask+"/ada/"+sandboxtest.Linear].ID),
			chromedp.WaitVisible(chromedp.CSS(`svg.chart.roc path.line`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		roc := run(t, browser, chromedp.Evaluate[map[string]float64](box(`svg.chart.roc`)))
		shoot(t, dir, "submission.png", run(t, browser, chromedp.FullScreenshot(100)))
		if roc["width"] < 250 || roc["visible"] != 1 {
			t.Errorf("ROC curve: got box %v, want a visible chart", roc)
		}
	})
	t.Run("TaskList", func(t *testing.T) {
		err := chromedp.Do(browser,
			chromedp.Navigate(anon.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`.cards .card`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		cards := run(t, browser, chromedp.Evaluate[int](`document.querySelectorAll(".cards .card").length`))
		shoot(t, dir, "tasks.png", run(t, browser, chromedp.FullScreenshot(100)))
		if cards != 3 {
			t.Errorf("got %d task cards, want 3", cards)
		}
	})
	t.Run("LiveRefresh", func(t *testing.T) {
		live := httptest.NewServer(getOnly(t, New(s.e, Config{Refresh: time.Second})))
		defer live.Close()
		err := chromedp.Do(browser,
			chromedp.Navigate(live.URL+"/tasks/"+binaryTask),
			chromedp.WaitVisible(chromedp.CSS(`table.board tbody tr`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		run(t, browser, chromedp.Evaluate[int](`window.notReloaded = 1`))
		sub, err := s.e.Submit(ctx, engine.SubmitRequest{Task: binaryTask, Participant: "eve", Module: sandboxtest.Wasm(sandboxtest.StdoutFlood)})
		if err != nil || sub.Failed() {
			t.Fatalf("Submit: %+v, %v", sub, err)
		}
		// live.js fetches the page again every second and swaps the
		// leaderboard in; the page itself is not reloaded.
		run(t, browser, chromedp.Poll[bool](`[...document.querySelectorAll("table.board td")].some(td => td.textContent.trim() === "eve")`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
		if run(t, browser, chromedp.Evaluate[int](`window.notReloaded || 0`)) != 1 {
			t.Error("the page was reloaded; want the leaderboard swapped in place")
		}
	})
	t.Run("ClosedTask", func(t *testing.T) {
		if _, err := s.e.CloseTask(context.Background(), regressionTask); err != nil {
			t.Fatal(err)
		}
		err := chromedp.Do(browser,
			chromedp.Navigate(anon.URL+"/tasks/"+regressionTask),
			chromedp.WaitVisible(chromedp.CSS(`svg.chart.history path.line`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		heading := run(t, browser, chromedp.Evaluate[string](`document.querySelector("#board-h").textContent`))
		shoot(t, dir, "task-closed.png", run(t, browser, chromedp.FullScreenshot(100)))
		if heading != "Private leaderboard" {
			t.Errorf("closed task: got heading %q, want Private leaderboard", heading)
		}
		err = chromedp.Do(browser,
			chromedp.Navigate(ada.URL+"/submissions/"+s.subs[regressionTask+"/ada/"+sandboxtest.Linear].ID),
			chromedp.WaitVisible(chromedp.CSS(`svg.chart.scatter circle`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		scatters := run(t, browser, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart.scatter").length`))
		shoot(t, dir, "submission-regression.png", run(t, browser, chromedp.FullScreenshot(100)))
		if scatters != 2 {
			t.Errorf("closed task, ada's submission: got %d scatters, want the public and the private part", scatters)
		}
	})
	t.Run("Marketplace", func(t *testing.T) {
		proms, err := s.e.Promote(ctx, regressionTask)
		if err != nil || len(proms) == 0 || proms[0].Credential == nil {
			t.Fatalf("Promote: %+v, %v", proms, err)
		}
		// A search is a plain GET form: type, press Search, read the rows.
		err = chromedp.Do(browser,
			chromedp.Navigate(anon.URL+"/market"),
			chromedp.WaitVisible(chromedp.CSS(`table.board tbody tr`)),
			chromedp.SendKeys(chromedp.CSS(`#q`), "house"),
			chromedp.Click(chromedp.CSS(`form.search button`)),
			// Only a results page has the Clear link: the click navigated.
			chromedp.WaitVisible(chromedp.CSS(`form.search .actions a`)),
			chromedp.WaitVisible(chromedp.CSS(`table.board tbody tr`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		loc := run(t, browser, chromedp.Location())
		rows := run(t, browser, chromedp.Evaluate[int](`document.querySelectorAll("table.board tbody tr").length`))
		shoot(t, dir, "market.png", run(t, browser, chromedp.FullScreenshot(100)))
		if !strings.Contains(loc, "q=house") || rows != 2 {
			t.Errorf("search: got %s with %d rows, want q=house and the 2 certified models", loc, rows)
		}
		err = chromedp.Do(browser,
			chromedp.Click(chromedp.CSS(`table.board tbody tr a`)),
			chromedp.WaitVisible(chromedp.CSS(`.verify`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		badge := run(t, browser, chromedp.Evaluate[string](`document.querySelector(".hero .badge").textContent`))
		shoot(t, dir, "model.png", run(t, browser, chromedp.FullScreenshot(100)))
		if badge != "verified" {
			t.Errorf("model page: got badge %q, want verified", badge)
		}
	})
}

// run runs one browser action and returns its value.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// box is a script returning an element's rendered size and whether it is
// visible (1) or not (0).
func box(selector string) string {
	return `(() => { const e = document.querySelector(` + "`" + selector + "`" + `); if (!e) return {width: 0, height: 0, visible: 0};
	  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
	  return {width: r.width, height: r.height, visible: (s.visibility !== "hidden" && s.display !== "none" && r.width > 0) ? 1 : 0}; })()`
}

// TestBrowserNoOverflow loads every page the web package serves, over
// data with did:key participants, long display names, a long task id and
// title and a baseline far off the scale, at 1280 and 390 px wide in
// headless Chromium: none may scroll sideways
// (document.documentElement.scrollWidth <= clientWidth). A screenshot of
// each is saved (artifactDir).
func TestBrowserNoOverflow(t *testing.T) {
	browser := startBrowser(t)
	long, subs := newLongSite(t)
	short := newSite(t) // binary and multiclass pictures
	as := func(e *engine.Engine, v engine.Viewer) *httptest.Server {
		srv := httptest.NewServer(getOnly(t, New(e, Config{Refresh: -1, Viewer: func(*http.Request) engine.Viewer { return v }})))
		t.Cleanup(srv.Close)
		return srv
	}
	anon, host, ada := as(long.e, engine.Viewer{}), as(long.e, engine.Host), as(long.e, engine.Viewer{Participant: didAda})
	shortHost := as(short.e, engine.Host)
	creds, err := long.e.Credentials(longTask)
	if err != nil || len(creds) == 0 {
		t.Fatalf("Credentials: %v, %v", creds, err)
	}
	cred := engine.ShortID(creds[0].ID)
	pages := []struct{ name, url string }{
		{"home", anon.URL + "/"},
		{"task", anon.URL + "/tasks/" + longTask},
		{"task-public", anon.URL + "/tasks/" + longTask + "?board=public"},
		{"task-private", anon.URL + "/tasks/" + longTask + "?board=private"},
		{"task-participant", ada.URL + "/tasks/" + longTask},
		{"submission", ada.URL + "/submissions/" + subs[didAda+"/"+sandboxtest.Linear].ID},
		{"submission-baseline", host.URL + "/submissions/" + subs["flat-baseline-with-a-long-name/"+sandboxtest.Stateful].ID},
		{"credential", anon.URL + "/credentials/" + cred},
		{"market", anon.URL + "/market"},
		{"market-search", anon.URL + "/market?q=house&type=regression&features=a,b"},
		{"market-refused", anon.URL + "/market?min=not-a-number"},
		{"market-entry", anon.URL + "/market/" + cred},
		{"not-found", anon.URL + "/tasks/no-such-task-" + strings.Repeat("x", 80)},
		{"task-binary", shortHost.URL + "/tasks/" + binaryTask},
		{"submission-binary", shortHost.URL + "/submissions/" + short.subs[binaryTask+"/ada/"+sandboxtest.Linear].ID},
		{"submission-multiclass", shortHost.URL + "/submissions/" + short.subs[multiclassTask+"/ada/"+sandboxtest.Const].ID},
	}
	dir := artifactDir(t)
	t.Logf("screenshots go to %s (set VERDICT_ARTIFACTS to change)", dir)
	// wide lists the elements that stick out of the page on the right.
	const wide = `(() => { const w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll("body *"))
	  .filter(e => e.getBoundingClientRect().right > w + 0.5 && !e.closest(".table-wrap, .figure, pre"))
	  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined ? "." + e.className : "") + ": " + (e.textContent || "").trim().slice(0, 60)); })()`
	for _, width := range []int64{1280, 390} {
		for _, p := range pages {
			t.Run(fmt.Sprintf("%s/%d", p.name, width), func(t *testing.T) {
				err := chromedp.Do(browser,
					chromedp.EmulateViewport(width, 900),
					chromedp.Navigate(p.url),
					chromedp.WaitVisible(chromedp.CSS(`main h1`)),
				)
				if err != nil {
					t.Fatal(err)
				}
				got := run(t, browser, chromedp.Evaluate[map[string]float64](`({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})`))
				shoot(t, dir, fmt.Sprintf("overflow-%s-%d.png", p.name, width), run(t, browser, chromedp.FullScreenshot(100)))
				if got["client"] != float64(width) {
					t.Errorf("got a viewport %v px wide, want %d", got["client"], width)
				}
				if got["scroll"] > got["client"] {
					t.Errorf("the page scrolls sideways: scrollWidth %v > clientWidth %v; wide elements: %q",
						got["scroll"], got["client"], run(t, browser, chromedp.Evaluate[[]string](wide)))
				}
			})
		}
	}
}

// shoot saves a screenshot in dir.
func shoot(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}
